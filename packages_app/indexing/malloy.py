"""An outline reader for Malloy models and notebooks: what a model defines, where, and what its docs say.

It is not a Malloy compiler, but it follows Malloy's grammar wherever something is defined. A tokenizer
turns the text into tokens (strings and filter strings, including ones holding braces; comments ``//``,
``--`` and ``/* */`` skipped; ``#`` annotations and ``#| ... |#`` block annotations as single tokens;
Unicode identifiers), and a recursive descent reads statements, source and query expressions (``->``,
``+``, ``extend``, ``include``) and blocks, skipping expressions by where they can end. It finds imports
(with the names ``import { a, b is c }`` brings in), exports, sources (and their parameters), dimensions,
measures, renames, joins, views, nested views (``nest``, a scope of their own), fields defined in query
stages (``field``), named queries, runs and ``given:`` declarations, each with its line, its parent and
its doc text (``#(doc)`` and ``#"``) and tags, attached as the official parser attaches them
(tests/indexing/test_malloy_differential.py compares the two).

Every statement does bounded work, so parsing stays linear in the text: the text kept for one
definition (a run's name, a source's base, a join's target) is cut to ``MAX_SNIPPET`` characters, the
docs and tags a statement passes to its definitions are joined once and capped, and blocks nested past
``MAX_DEPTH`` are skipped. ``max_symbols`` stops the parse early (``MalloyOutline.truncated``) for
callers that keep only so many symbols.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

# Keywords written with a colon ("source:", "group_by :"): one token each, as the Malloy lexer reads them.
COLON_KEYWORDS = [
    "accept",
    "aggregate",
    "calculate",
    "calculation",
    "connection",
    "declare",
    "dimension",
    "drill",
    "except",
    "extend",
    "given",
    "group_by",
    "grouped_by",
    "having",
    "index",
    "internal",
    "join_cross",
    "join_one",
    "join_many",
    "limit",
    "measure",
    "nest",
    "order_by",
    "partition_by",
    "primary_key",
    "private",
    "project",
    "public",
    "query",
    "rename",
    "run",
    "sample",
    "select",
    "source",
    "sql",
    "top",
    "where",
    "view",
    "timezone",
]
# Statements only a model holds: met inside a block, they mean the block was left unclosed.
MODEL_KEYWORDS = {"source", "run", "given"}
DOC_PREFIXES = ("#(doc)", '#"')
# The most text one statement keeps (a run's name, a source's base...).
MAX_SNIPPET = 400
# The most doc text, and tags, one symbol inherits from the statement it belongs to.
MAX_STATEMENT_DOC = 10_000
MAX_STATEMENT_TAGS = 100
# Blocks nested deeper than this are skipped, not read: the parser recurses once per level.
MAX_DEPTH = 100
# Words that continue an expression after a complete operand, besides the operator punctuation.
OPERATOR_WORDS = {"and", "or", "to", "for", "when", "else", "then", "pick", "like", "in", "not", "as"}
TIMEFRAMES = {
    f"{unit}{plural}"
    for unit in ("second", "minute", "hour", "day", "week", "month", "quarter", "year")
    for plural in ("", "s")
}
OPERATORS = {"+", "-", "*", "/", "%", "=", "!=", "<", ">", "<=", ">=", "~", "!~", "?", "??", "&", "|", "::", ":::"}


class Token(NamedTuple):
    # A named tuple: a large file has a million of them, and a tuple is made in half the time.
    kind: str  # ident | string | number | annotation | punct
    value: str
    line: int
    start: int
    end: int
    line_start: bool  # the first token on its line


@dataclass(eq=False)
class MalloySymbol:
    kind: str
    name: str
    line: int
    parent: MalloySymbol | None = None
    doc: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class MalloyOutline:
    symbols: list[MalloySymbol] = field(default_factory=list)
    doc: str = ""
    annotations: list[str] = field(default_factory=list)
    # The parse stopped at its ``max_symbols``: there were more symbols than ``symbols`` holds.
    truncated: bool = False

    def of_kind(self, kind: str) -> list[MalloySymbol]:
        return [symbol for symbol in self.symbols if symbol.kind == kind]

    def names(self, kind: str) -> list[str]:
        return [symbol.name for symbol in self.of_kind(kind)]

    def uses(self) -> list[str]:
        """Names this text refers to: the sources and views its queries and runs start from."""
        found: dict[str, None] = {}  # ordered, and linear however many names there are
        for symbol in self.symbols:
            for key in ("source", "view"):
                name = symbol.data.get(key)
                if symbol.kind in ("query", "run") and name:
                    found.setdefault(name)
        return list(found)


def tokenize(text: str) -> list[Token]:
    return list(iter_tokens(text))


# One alternative per kind of text, tried in this order at each position; the last matches any character,
# so the matches cover the text end to end. Unclosed comments and strings run to the end of the text; a
# quoted string ends at its quote or before the end of its line (the new line is not part of it), and a
# backslash escapes any character. Identifiers are Unicode letters, digits and underscores; only ASCII
# digits start a number: other Unicode digits are punctuation.
_TOKENS = re.compile(
    r"""
    (?P<gap>(?:\n|[^\S\n]+|(?://|--)[^\n]*)+)
    | (?P<block>/\*(?:.*?\*/|.*))
    | (?P<annotation>\#[^\n]*)
    | (?P<keyword>(?:"""
    + "|".join(sorted(COLON_KEYWORDS, key=len, reverse=True))
    + r""")[^\S\n]*:(?!:))
    | (?P<string>"{3}(?:.*?"{3}|.*) | [fF]'{3}(?:.*?'{3}|.*) | %\{(?:.*?\}%|.*)
        | [fFrR/]?'(?:\\.?|[^'\\\n])*'? | [fF]?"(?:\\.?|[^"\\\n])*"? | [fF]?`(?:\\.?|[^`\\\n])*`?)
    | (?P<time>@[0-9]{4}(?:-[Qq][1-4]|-[0-9]{2}(?:-[0-9]{2}(?:-[Ww][Kk]
        |[ T][0-9]{2}(?::[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?)?(?:\[[^\]\s]*\])?)?)?)?)
    | (?P<ident>[^\W\d]\w*)
    | (?P<number>[0-9][0-9A-Za-z_.]*)
    | (?P<punct>->|:::|::|!=|<=|>=|!~|\?\?|.)
    """,
    re.VERBOSE | re.DOTALL | re.IGNORECASE,
)
_BLOCK_ANNOTATION = re.compile(r"##?\|")


def _block_annotation(text: str, start: int, line_end: int) -> tuple[str, int]:
    """A ``#| ... |#`` (or ``##| ... |##``) annotation: its text, dedented as Malloy does, and its end.

    The block closes on the first later line holding only blanks before the closer at the opener's column.
    """
    column = start - (text.rfind("\n", 0, start) + 1)
    closer = "|##" if text.startswith("##", start) else "|#"
    body: list[str] = []
    position = line_end + 1
    end = len(text)
    while position < len(text):
        next_end = text.find("\n", position)
        next_end = len(text) if next_end == -1 else next_end
        line = text[position:next_end]
        if (
            line.startswith(closer, column)
            and not line[:column].strip(" \t")
            and (closer == "|##" or not line.startswith("#", column + len(closer)))
        ):
            end = next_end
            break
        body.append(line)
        position = next_end + 1
    indents = [re.match(r"[ \t]*", line).group() for line in body if line.strip()]
    common = indents[0] if indents else ""
    for indent in indents[1:]:
        while not indent.startswith(common):
            common = common[:-1]
    dedented = [line[len(common) :] if line.startswith(common) else line for line in body]
    return "\n".join([text[start:line_end].rstrip("\r"), *dedented]).rstrip("\n"), end


def iter_tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, read as they are asked for: a parse that stops early reads no further.

    One regular expression finds each next piece of text (a run of spaces, new lines and line comments,
    a block comment, a token) instead of a Python step per character.
    """
    line = 1
    line_start = True
    position = 0
    match_at = _TOKENS.match
    while (match := match_at(text, position)) is not None:
        kind = match.lastgroup
        start, end = match.span()
        position = end
        if kind == "gap":  # spaces, line comments and new lines
            newlines = text.count("\n", start, end)
            if newlines:
                line += newlines
                line_start = True
            continue
        if kind == "block":
            line += text.count("\n", start, end)
            continue
        value = match.group()
        if kind == "annotation":
            if _BLOCK_ANNOTATION.match(value):
                value, end = _block_annotation(text, start, end)
                position = end
            yield Token(kind, value.rstrip(), line, start, end, line_start)
            line += text.count("\n", start, end)
        elif kind == "keyword":
            yield Token(kind, value[:-1].rstrip().lower(), line, start, end, line_start)
            line += value.count("\n")
        elif kind == "ident" and value[0] >= "\x80" and not value[0].isalpha():
            # \w also holds other Unicode digits (²): Malloy's identifiers start with a letter or "_".
            position = start + 1
            yield Token("punct", value[0], line, start, position, line_start)
        else:
            yield Token("string" if kind == "time" else kind, value, line, start, end, line_start)
            if kind == "string":
                line += value.count("\n")
        line_start = False


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] in "'\"`" and value[-1] == value[0]:
        return value[1:-1]
    return value


def _doc_and_tags(notes: list[str]) -> tuple[list[str], list[str]]:
    """``#(doc)`` and ``#"`` annotations are doc text; every other one is a tag (without its ``#``)."""
    docs: list[str] = []
    tags: list[str] = []
    for note in notes:
        for prefix in DOC_PREFIXES:
            if note.startswith(prefix):
                docs.append(note[len(prefix) :].strip())
                break
        else:
            tags.append(note[1:].strip())
    return docs, tags


class _Full(Exception):
    """The outline holds ``max_symbols`` symbols and another one was found."""


_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_EMPTY: list[str] = []


class _Parser:
    """A recursive descent over the tokens, following Malloy's grammar wherever something is defined.

    Expressions are skipped, not read: an expression ends where its next token can neither continue it
    (an operator, a call, a filter, a timeframe) nor follow an operator. Each definition gets the
    annotations before its name and around its ``is``, plus those before the statement keyword that
    introduced it; a block annotation before a statement that defines nothing applies to nothing.
    """

    def __init__(self, text: str, max_symbols: int | None = None):
        self.text = text
        self.tokens = list(iter_tokens(text))
        self.n = len(self.tokens)
        self.outline = MalloyOutline()
        self.model_docs: list[str] = []
        self.max_symbols = max_symbols
        self.i = 0
        self.depth = 0

    # -- token helpers -----------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token | None:
        index = self.i + offset
        return self.tokens[index] if index < self.n else None

    def is_punct(self, token: Token | None, value: str) -> bool:
        return token is not None and token.kind == "punct" and token.value == value

    def is_word(self, token: Token | None, value: str) -> bool:
        return token is not None and token.kind == "ident" and token.value.lower() == value

    def is_name(self, token: Token | None) -> bool:
        return token is not None and (token.kind == "ident" or (token.kind == "string" and token.value[0] == "`"))

    def starts_definition(self, offset: int = 0) -> bool:
        """A name then ``is`` (not ``is null``), after any annotations."""
        while (token := self.peek(offset)) is not None and token.kind == "annotation":
            offset += 1
        return self.is_name(token) and self.is_word(self.peek(offset + 1), "is")

    def notes(self) -> list[str]:
        """The annotations at the cursor (model annotations ``##`` go to the model)."""
        found: list[str] = []
        while (token := self.peek()) is not None and token.kind == "annotation":
            if token.value.startswith("##"):
                self.model_annotation(token.value)
            else:
                found.append(token.value)
            self.i += 1
        return found

    def item_notes(self) -> list[str] | None:
        """The annotations before the next item of a list, or None when no item follows them: the list
        has ended, and they belong to the next statement."""
        offset = 0
        while (token := self.peek(offset)) is not None and token.kind == "annotation":
            offset += 1
        if token is None or token.kind == "keyword" or (token.kind == "punct" and token.value in ")]};"):
            return None
        return self.notes() if offset else []

    def model_annotation(self, text: str) -> None:
        if text.startswith("##(doc)"):
            doc = text[len("##(doc)") :].strip()
            if doc:  # joined once at the end: a string grown line by line would be quadratic
                self.model_docs.append(doc)
        else:
            self.outline.annotations.append(text)

    def skip_balanced(self) -> None:
        """From an opening bracket to just past its closer (or the end of the text)."""
        stack = [_CLOSERS[self.tokens[self.i].value]]
        self.i += 1
        while stack and self.i < self.n:
            token = self.tokens[self.i]
            if token.kind == "punct":
                if token.value in _CLOSERS:
                    stack.append(_CLOSERS[token.value])
                elif token.value == stack[-1]:
                    stack.pop()
                elif token.value in ")]}":  # a stray closer: give up on this group
                    return
            self.i += 1

    def snippet(self, start: int) -> str:
        """The text of tokens ``start`` up to the cursor, cut to ``MAX_SNIPPET`` characters."""
        if start >= self.i:
            return ""
        first = self.tokens[start].start
        return self.text[first : min(self.tokens[self.i - 1].end, first + MAX_SNIPPET)].strip()

    # -- outline helpers ---------------------------------------------------------------------------
    def append(self, symbol: MalloySymbol) -> MalloySymbol:
        if self.max_symbols is not None and len(self.outline.symbols) >= self.max_symbols:
            raise _Full
        self.outline.symbols.append(symbol)
        return symbol

    def add(
        self, kind: str, token: Token, parent: MalloySymbol | None, block: tuple[str, list[str]], notes: list[str]
    ) -> MalloySymbol:
        """A definition named by ``token``, with its statement's doc and tags (``block``) and its own."""
        block_doc, block_tags = block
        own_docs, own_tags = _doc_and_tags(notes) if notes else (_EMPTY, _EMPTY)
        doc = "\n".join([block_doc, *own_docs]) if block_doc and own_docs else block_doc or "\n".join(own_docs)
        data: dict = {}
        tags = (block_tags + own_tags)[:MAX_STATEMENT_TAGS] if own_tags else block_tags
        if tags:
            data["tags"] = tags
        return self.append(
            MalloySymbol(kind=kind, name=unquote(token.value), line=token.line, parent=parent, doc=doc, data=data)
        )

    @staticmethod
    def block(notes: list[str]) -> tuple[str, list[str]]:
        """A statement's notes as the doc and tags each of its definitions inherits: joined once, capped."""
        if not notes:
            return "", _EMPTY
        docs, tags = _doc_and_tags(notes)
        return "\n".join(docs)[:MAX_STATEMENT_DOC], tags[:MAX_STATEMENT_TAGS]

    # -- the model ---------------------------------------------------------------------------------
    def parse(self) -> MalloyOutline:
        try:
            self.statements()
        except _Full:
            self.outline.truncated = True
        self.outline.doc = "\n".join(self.model_docs)
        return self.outline

    def statements(self) -> None:
        while self.i < self.n:
            notes = self.notes()
            token = self.peek()
            if token is None:
                return
            if token.kind == "keyword":
                self.i += 1
                value = token.value
                if value == "source":
                    self.source_list(notes)
                elif value == "query":
                    self.query_list(notes)
                elif value == "run":
                    self.run_statement(token, notes)
                elif value == "given":
                    self.given_list(notes)
            elif self.is_word(token, "import"):
                self.i += 1
                self.import_statement(token)
            elif self.is_word(token, "export") and self.is_punct(self.peek(1), "{"):
                self.export_statement()
            elif token.kind == "punct" and token.value in _CLOSERS:
                self.skip_balanced()
            else:
                self.i += 1

    def source_list(self, notes: list[str]) -> None:
        block = self.block(notes)
        while True:
            own = self.item_notes()
            if own is None:
                return
            token = self.peek()
            if not self.is_name(token):
                return
            self.i += 1
            parameters: list[tuple[Token, int]] = []
            if self.is_punct(self.peek(), "("):
                parameters = self.parameters()
            if not self.is_word(self.peek(), "is"):
                return
            self.i += 1
            own = own + self.notes()
            symbol = self.add("source", token, None, block, own)
            for parameter, type_index in parameters:
                given = self.add("given", parameter, symbol, block, _EMPTY)
                given.data["type"] = self.tokens[type_index].value if type_index < self.n else ""
            start = self.i
            base_end = self.source_expression(symbol)
            self.i, end = base_end, self.i
            symbol.data["base"] = self.snippet(start)
            self.i = end
            if not self.next_in_list():
                return

    def next_in_list(self) -> bool:
        """Past an optional comma: does another ``name is`` definition of the same statement follow?"""
        if self.is_punct(self.peek(), ","):
            self.i += 1
        return self.starts_definition()

    def parameters(self) -> list[tuple[Token, int]]:
        """Source parameters ``(name::type is default, ...)``: each name, and where its type is."""
        found: list[tuple[Token, int]] = []
        depth = 0
        while (token := self.peek()) is not None:
            if token.kind == "punct" and token.value in "([{":
                depth += 1
            elif token.kind == "punct" and token.value in ")]}":
                depth -= 1
                if depth <= 0:
                    self.i += 1
                    return found
            elif (
                depth == 1
                and token.kind == "ident"
                and self.is_punct(self.peek(1), "::")
                and (self.is_punct(self.tokens[self.i - 1], "(") or self.is_punct(self.tokens[self.i - 1], ","))
            ):
                found.append((token, self.i + 2))
            self.i += 1
        return found

    def source_expression(self, scope: MalloySymbol | None) -> int:
        """A source expression (``t``, ``c.table('x')``, ``s -> v``, ``s extend {}``, ``s include {}``...).

        Returns where its first operand ends (the base of a source)."""
        self.operand()
        base_end = self.i
        while (token := self.peek()) is not None:
            if token.kind == "punct" and token.value in ("->", "+"):
                self.i += 1
                self.segment(scope)
            elif self.is_word(token, "extend") and self.is_punct(self.peek(1), "{"):
                self.i += 1
                self.source_block(scope)
            elif self.is_word(token, "include") and self.is_punct(self.peek(1), "{"):
                self.i += 1
                self.skip_balanced()
            elif token.kind == "punct" and token.value == "::" and self.is_name(self.peek(1)):
                self.i += 2  # a typed source
            else:
                break
        return base_end

    def operand(self) -> None:
        """A name with dots and calls (``duckdb.table('x')``, ``s(p is 1)``), a string, or ``( ... )``."""
        token = self.peek()
        if token is None:
            return
        if token.kind == "punct" and token.value in _CLOSERS:
            self.skip_balanced()
            return
        if token.kind not in ("ident", "string", "number"):
            return
        self.i += 1
        while (token := self.peek()) is not None:
            if self.is_punct(token, ".") and (following := self.peek(1)) is not None and following.kind == "ident":
                self.i += 2
            elif token.kind == "punct" and token.value in "([" and not token.line_start:
                self.skip_balanced()
            else:
                return

    def segment(self, scope: MalloySymbol | None) -> None:
        """A query stage: ``{ ... }``, a view's name, ``( ... )``, refined with ``+``."""
        while True:
            token = self.peek()
            if self.is_punct(token, "{"):
                self.query_block(scope)
            elif self.is_punct(token, "("):
                self.i += 1
                self.view_expression(scope)
                if self.is_punct(self.peek(), ")"):
                    self.i += 1
            elif token is not None and token.kind in ("ident", "string"):
                self.operand()
            else:
                return
            if not self.is_punct(self.peek(), "+"):
                return
            self.i += 1

    def view_expression(self, scope: MalloySymbol | None) -> None:
        self.segment(scope)
        while self.is_punct(self.peek(), "->"):
            self.i += 1
            self.segment(scope)

    def enter(self) -> bool:
        """Enter a ``{`` block, unless blocks are nested too deep to read: then skip it whole."""
        if self.depth >= MAX_DEPTH:
            self.skip_balanced()
            return False
        self.depth += 1
        self.i += 1
        return True

    def leave(self) -> None:
        self.depth -= 1
        if self.is_punct(self.peek(), "}"):
            self.i += 1

    def block_statements(self):
        """Each statement keyword of a ``{ ... }`` block with the annotations before it, the keyword consumed;
        the caller reads the statement. Enters the block first and leaves it when the iteration ends."""
        if not self.enter():
            return
        while (token := self.peek()) is not None and not self.is_punct(token, "}"):
            notes = self.notes()
            token = self.peek()
            if token is None or self.is_punct(token, "}"):
                break
            if token.kind != "keyword":
                self.i += 1
                if token.kind == "punct" and token.value in _CLOSERS:
                    self.i -= 1
                    self.skip_balanced()
                continue
            if token.value in MODEL_KEYWORDS:  # an unclosed block: the model's statements go on
                break
            self.i += 1
            yield token.value, notes
        self.leave()

    def source_block(self, scope: MalloySymbol | None) -> None:
        """``{ dimension: ... measure: ... join_one: ... view: ... rename: ... }``."""
        for value, notes in self.block_statements():
            if value in ("dimension", "measure"):
                self.definitions(value, scope, notes)
            elif value in ("join_one", "join_many", "join_cross"):
                self.join_list(value[5:], scope, notes)
            elif value in ("view", "query"):
                self.view_list(scope, notes)
            elif value == "rename":
                self.definitions("rename", scope, _EMPTY)
            elif value == "declare":
                self.definitions("field", scope, notes)
            else:
                self.skip_statement()

    def query_block(self, scope: MalloySymbol | None) -> None:
        """``{ group_by: ... aggregate: ... nest: ... extend: { ... } ... }``."""
        for value, notes in self.block_statements():
            if value in ("group_by", "aggregate", "calculate", "select", "project", "declare"):
                self.field_list(scope, notes)
            elif value == "nest":
                self.nest_list(scope, notes)
            elif value in ("join_one", "join_many", "join_cross"):
                self.join_list(value[5:], scope, notes)
            elif value == "extend" and self.is_punct(self.peek(), "{"):
                self.source_block(scope)
            else:
                self.skip_statement()

    def skip_statement(self) -> None:
        """Up to the next statement keyword, annotation or the end of the block."""
        while (token := self.peek()) is not None:
            if token.kind in ("keyword", "annotation") or (token.kind == "punct" and token.value in ")]};"):
                return
            if token.kind == "punct" and token.value in _CLOSERS:
                self.skip_balanced()
            else:
                self.i += 1

    def expression(self) -> None:
        """Skip one expression (see the class docstring for where it ends)."""
        want_operand = True
        while (token := self.peek()) is not None:
            kind, value = token.kind, token.value
            if kind in ("keyword", "annotation") or (kind == "punct" and value in ",;)]}"):
                return
            if want_operand:
                if kind == "punct" and value in _CLOSERS:
                    self.skip_balanced()
                    want_operand = False
                elif kind == "punct" and value in ("-", "!", "*"):
                    self.i += 1
                    want_operand = value == "-" or value == "!"
                elif kind == "ident":
                    word = value.lower()
                    self.i += 1
                    if word in ("not", "pick", "when"):
                        continue
                    if word == "case":
                        self.case_expression()
                    want_operand = False
                else:
                    self.i += 1
                    want_operand = False
                continue
            if kind == "punct":
                if value in OPERATORS:
                    self.i += 1
                    want_operand = True
                elif value == ".":
                    self.i += 1
                    if (following := self.peek()) is not None and following.kind == "ident":
                        self.i += 1
                elif value in _CLOSERS:
                    self.skip_balanced()
                else:
                    return
            elif kind == "ident":
                word = value.lower()
                if self.is_word(self.peek(1), "is") and not self.is_null_check(1):
                    return  # the next definition
                if word in OPERATOR_WORDS:
                    self.i += 1
                    want_operand = True
                elif word == "is" and self.is_null_check(0):
                    self.i += 2 if self.is_word(self.peek(1), "null") else 3
                elif word in TIMEFRAMES:
                    self.i += 1
                else:
                    return
            else:
                return

    def is_null_check(self, offset: int) -> bool:
        """Is the ``is`` at ``offset`` the start of ``is null`` / ``is not null``?"""
        following = self.peek(offset + 1)
        return self.is_word(following, "null") or (
            self.is_word(following, "not") and self.is_word(self.peek(offset + 2), "null")
        )

    def case_expression(self) -> None:
        depth = 1
        while (token := self.peek()) is not None and depth:
            if self.is_word(token, "case"):
                depth += 1
            elif self.is_word(token, "end"):
                depth -= 1
            if token.kind == "punct" and token.value in _CLOSERS:
                self.skip_balanced()
            else:
                self.i += 1

    def definitions(self, kind: str, scope: MalloySymbol | None, notes: list[str]) -> None:
        """``name is expression`` definitions, separated by commas or nothing."""
        block = self.block(notes)
        while True:
            own = self.item_notes()
            if own is None:
                return
            token = self.peek()
            if not (self.is_name(token) and self.is_word(self.peek(1), "is")):
                return
            self.i += 2
            own = own + self.notes() if self.peek() is not None and self.peek().kind == "annotation" else own
            self.add(kind, token, scope, block, own)
            self.expression()
            if self.is_punct(self.peek(), ","):
                self.i += 1

    def field_list(self, scope: MalloySymbol | None, notes: list[str]) -> None:
        """Fields of a query stage: references (``carrier``, ``t.*``, ``x.sum()``) and ``name is ...``."""
        block = self.block(notes)
        while True:
            own = self.item_notes()
            if own is None:
                return
            token = self.peek()
            if token is None:
                return
            if self.is_name(token) and self.is_word(self.peek(1), "is"):
                self.i += 2
                if (following := self.peek()) is not None and following.kind == "annotation":
                    own = own + self.notes()
                self.add("field", token, scope, block, own)
                self.expression()
            elif self.is_name(token) or self.is_punct(token, "*"):
                self.reference()
            else:
                return
            if self.is_punct(self.peek(), ","):
                self.i += 1

    def reference(self) -> None:
        """``a.b.c``, ``a.month``, ``a.sum()``, ``*``, ``a.*``, ``* { except: x }``."""
        while (token := self.peek()) is not None:
            if self.is_name(token) or self.is_punct(token, "*"):
                self.i += 1
            else:
                return
            following = self.peek()
            if self.is_punct(following, "("):
                self.skip_balanced()
                following = self.peek()
            if self.is_punct(following, "{") and self.is_punct(token, "*"):
                self.skip_balanced()
                return
            if not self.is_punct(following, "."):
                return
            self.i += 1

    def nest_list(self, scope: MalloySymbol | None, notes: list[str]) -> None:
        """``nest: name is { ... }`` defines a nested view (a scope); ``nest: view + { ... }`` refines one."""
        block = self.block(notes)
        while True:
            own = self.item_notes()
            if own is None:
                return
            token = self.peek()
            if token is None:
                return
            if self.is_name(token) and self.is_word(self.peek(1), "is"):
                self.i += 2
                own = own + self.notes()
                symbol = self.add("nest", token, scope, block, own)
                self.view_expression(symbol)
            elif self.is_name(token) or self.is_punct(token, "{") or self.is_punct(token, "("):
                self.view_expression(scope)
            else:
                return
            if self.is_punct(self.peek(), ","):
                self.i += 1

    def view_list(self, scope: MalloySymbol | None, notes: list[str]) -> None:
        block = self.block(notes)
        while True:
            own = self.item_notes()
            if own is None:
                return
            token = self.peek()
            if not (self.is_name(token) and self.is_word(self.peek(1), "is")):
                return
            self.i += 2
            own = own + self.notes()
            symbol = self.add("view", token, scope, block, own)
            self.view_expression(symbol)
            if self.is_punct(self.peek(), ","):
                self.i += 1

    def join_list(self, cardinality: str, scope: MalloySymbol | None, notes: list[str]) -> None:
        """``join_one: name [is source] [with field | on condition]``, several per statement."""
        block = self.block(notes)
        while True:
            own = self.item_notes()
            if own is None:
                return
            token = self.peek()
            if not self.is_name(token):
                return
            self.i += 1
            target = unquote(token.value)
            if self.is_word(self.peek(), "is"):
                self.i += 1
                own = own + self.notes()
                symbol = self.add("join", token, scope, block, own)
                start = self.i
                base_end = self.source_expression(scope)
                end, self.i = self.i, base_end
                target = self.snippet(start)
                self.i = end
            else:
                symbol = self.add("join", token, scope, block, own)
            symbol.data.update(target=target, cardinality=cardinality)
            if self.is_word(self.peek(), "on") or self.is_word(self.peek(), "with"):
                self.i += 1
                self.expression()
            if self.is_punct(self.peek(), ","):
                self.i += 1

    def query_list(self, notes: list[str]) -> None:
        """``query: name is source -> view``, several per statement."""
        block = self.block(notes)
        while True:
            own = self.item_notes()
            if own is None:
                return
            token = self.peek()
            if not (self.is_name(token) and self.is_word(self.peek(1), "is")):
                if token is not None:  # an unnamed query: read like a run
                    self.run_statement(None, notes + own, keyword_line=self.tokens[self.i - 1].line)
                return
            self.i += 2
            own = own + self.notes()
            symbol = self.add("query", token, None, block, own)
            self.pipeline(symbol)
            if not self.next_in_list():
                return

    def pipeline(self, symbol: MalloySymbol) -> None:
        """The query's source expression; remember the source and the first named view it starts from."""
        first, after, view = self.peek(), self.peek(1), self.peek(2)
        if first is not None and first.kind == "ident":
            if symbol.kind in ("query", "run"):
                symbol.data["source"] = first.value
            if self.is_punct(after, "->") and view is not None and view.kind == "ident":
                symbol.data["view"] = view.value
        self.source_expression(symbol)

    def run_statement(self, keyword: Token | None, notes: list[str], keyword_line: int = 0) -> None:
        notes = notes + self.notes()
        first = self.peek()
        if first is None:
            return
        # A run has no name: it is known by its text, up to the end of its first line (at most
        # MAX_SNIPPET characters: on one huge line, searching to its end for every run would be quadratic).
        window_end = min(first.start + MAX_SNIPPET, len(self.text))
        line_end = self.text.find("\n", first.start, window_end)
        name = self.text[first.start : window_end if line_end == -1 else line_end].strip()
        line = keyword.line if keyword is not None else keyword_line
        docs, tags = _doc_and_tags(notes) if notes else (_EMPTY, _EMPTY)
        data: dict = {"tags": tags[:MAX_STATEMENT_TAGS]} if tags else {}
        symbol = self.append(
            MalloySymbol(kind="run", name=name, line=line, doc="\n".join(docs)[:MAX_STATEMENT_DOC], data=data)
        )
        self.pipeline(symbol)

    def given_list(self, notes: list[str]) -> None:
        """``given: name::type is default``, several per statement."""
        block = self.block(notes)
        while True:
            own = self.item_notes()
            if own is None:
                return
            token = self.peek()
            if not (self.is_name(token) and self.is_punct(self.peek(1), "::")):
                return
            self.i += 2
            start = self.i
            self.operand()
            symbol = self.add("given", token, None, block, own)
            symbol.data["type"] = self.snippet(start)
            if self.is_word(self.peek(), "is"):
                self.i += 1
                self.expression()
            if self.is_punct(self.peek(), ","):
                self.i += 1

    def import_statement(self, keyword: Token) -> None:
        """``import "f"`` and ``import { a, b is c } from "f"`` (``b`` is the name this model uses)."""
        names: list[str] = []
        if self.is_punct(self.peek(), "{"):
            self.i += 1
            expect_name = True
            while (token := self.peek()) is not None and not self.is_punct(token, "}"):
                if expect_name and self.is_name(token):
                    names.append(unquote(token.value))
                    expect_name = False
                elif self.is_punct(token, ","):
                    expect_name = True
                self.i += 1
            self.i += 1  # the closing brace
            if self.is_word(self.peek(), "from"):
                self.i += 1
        target = self.peek()
        if target is not None and target.kind == "string":
            self.i += 1
            symbol = self.append(MalloySymbol(kind="import", name=unquote(target.value), line=keyword.line))
            symbol.data["names"] = names

    def export_statement(self) -> None:
        self.i += 2  # "export" "{"
        while (token := self.peek()) is not None and not self.is_punct(token, "}"):
            if self.is_name(token):
                self.append(MalloySymbol(kind="export", name=unquote(token.value), line=token.line))
            self.i += 1


def parse_malloy(text: str, *, max_symbols: int | None = None) -> MalloyOutline:
    """The outline of one Malloy model: see the module docstring for what it holds.

    With ``max_symbols``, parsing stops once that many symbols are found and another one comes:
    the outline keeps the first ``max_symbols`` and says ``truncated``.
    """
    return _Parser(text, max_symbols).parse()


@dataclass
class NotebookCell:
    index: int
    language: str
    line: int
    text: str
    outline: MalloyOutline | None = None


CELL_MARKER = re.compile(r"^>>>(\w+)\s*$")


def parse_notebook(text: str, *, max_symbols: int | None = None) -> list[NotebookCell]:
    """Cells of a ``.malloynb`` notebook (``>>>markdown`` / ``>>>malloy`` lines start cells).

    ``max_symbols`` bounds the symbols of all cells together: once they are used up, the outlines of
    later malloy cells are empty and ``truncated``.
    """
    cells: list[NotebookCell] = []
    current: NotebookCell | None = None
    lines: list[str] = []
    room = max_symbols

    def close() -> None:
        nonlocal room
        if current is not None:
            current.text = "\n".join(lines).rstrip("\n")
            if current.language == "malloy":
                current.outline = parse_malloy(current.text, max_symbols=room)
                if room is not None:
                    room -= len(current.outline.symbols)
            cells.append(current)

    for number, raw in enumerate(text.splitlines(), start=1):
        match = CELL_MARKER.match(raw)
        if match:
            close()
            current, lines = NotebookCell(index=len(cells) + 1, language=match.group(1), line=number, text=""), []
        elif current is not None:
            lines.append(raw)
    close()
    return cells
