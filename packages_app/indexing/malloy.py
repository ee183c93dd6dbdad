"""An outline reader for Malloy models and notebooks: what a model defines, where, and what its docs say.

It is not a Malloy compiler. A tokenizer turns the text into tokens (strings, including ones holding
braces, comments ``//``, ``--`` and ``/* */``, and ``#`` annotations are single tokens or skipped), and a
small parser walks them with a stack of ``{}`` blocks, so a keyword inside a comment or a string never
counts and a ``view:`` is attributed to the source whose braces enclose it. It finds imports, explicit
``export { ... }`` names, sources (and their parameters), dimensions, measures, views, joins, named
queries, ``run:`` statements and ``given:`` declarations, each with its line, its parent and the
``#(doc)`` text that precedes it.

Every statement does bounded work, so parsing stays linear in the text however it is laid out: the text
kept for one statement (a run's name, a source's base, a join's target, a given's type) is read from a
window of at most ``MAX_SNIPPET`` characters, never up to the end of a possibly huge line, and the docs
and tags shared by the definitions of one statement are joined once and capped. ``max_symbols`` stops
the parse early (``MalloyOutline.truncated``) for callers that keep only so many symbols.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

# Statement keywords whose definitions ("NAME is ...") become outline entries, and their entry kind.
DEFINING_STATEMENTS = {
    "source": "source",
    "dimension": "dimension",
    "measure": "measure",
    "view": "view",
    "query": "query",
    "join_one": "join",
    "join_many": "join",
    "join_cross": "join",
    "given": "given",
}
JOIN_STATEMENTS = {"join_one", "join_many", "join_cross"}
# Words that end a join's target name when the join has no "is" ("join_one: users with user_id").
JOIN_CLAUSE_WORDS = {"with", "on"}
DOC_PREFIX = "#(doc)"
# The most text one statement keeps (a run's name, a source's base...), and the window it is read from.
MAX_SNIPPET = 400
# The most doc text, and tags, one symbol inherits from the statement it belongs to.
MAX_STATEMENT_DOC = 10_000
MAX_STATEMENT_TAGS = 100


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
# backslash escapes any character. Only ASCII digits start a number: other Unicode digits are punctuation.
_TOKENS = re.compile(
    r"""
    (?P<gap>(?:\n|[^\S\n]+|(?://|--)[^\n]*)+)
    | (?P<block>/\*(?:.*?\*/|.*))
    | (?P<annotation>\#[^\n]*)
    | (?P<string>"{3}(?:.*?"{3}|.*) | %\{(?:.*?\}%|.*)
        | '(?:\\.?|[^'\\\n])*'? | "(?:\\.?|[^"\\\n])*"? | `(?:\\.?|[^`\\\n])*`?)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>[0-9][0-9A-Za-z_.]*)
    | (?P<punct>->|::|.)
    """,
    re.VERBOSE | re.DOTALL,
)


def iter_tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, read as they are asked for: a parse that stops early reads no further.

    One regular expression finds each next piece of text (a run of spaces, new lines and line comments,
    a block comment, a token) instead of a Python step per character: 4 MB of short lines take ~2.4 s
    instead of ~3 s, most of it now making the 1.3 million tokens.
    """
    line = 1
    line_start = True
    for match in _TOKENS.finditer(text):
        kind = match.lastgroup
        if kind == "gap":  # spaces, line comments and new lines
            newlines = match.group().count("\n")
            if newlines:
                line += newlines
                line_start = True
        elif kind == "block":
            line += match.group().count("\n")
        else:
            value = match.group()
            start, end = match.span()
            if kind == "annotation":
                yield Token(kind, value.rstrip(), line, start, end, line_start)
            else:
                yield Token(kind, value, line, start, end, line_start)
                if kind == "string":
                    line += value.count("\n")
            line_start = False


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] in "'\"`" and value[-1] == value[0]:
        return value[1:-1]
    return value


@dataclass
class _Block:
    """One ``{}`` level: the symbol it belongs to and the statement being read inside it."""

    owner: MalloySymbol | None
    statement: str | None = None
    # The docs and tags before the statement keyword, which each of its definitions inherits: joined
    # (and capped) once per statement, not once per definition.
    statement_doc: str | None = None
    statement_tags: list[str] = field(default_factory=list)
    pending_owner: MalloySymbol | None = None
    parens: int = 0


class _Full(Exception):
    """The outline holds ``max_symbols`` symbols and another one was found."""


class _Parser:
    def __init__(self, text: str, max_symbols: int | None = None):
        self.text = text
        # The tokens read so far; ``at`` reads more as the parse reaches them.
        self.tokens: list[Token] = []
        self.unread = iter_tokens(text)
        self.outline = MalloyOutline()
        self.blocks = [_Block(owner=None)]
        self.docs: list[str] = []
        self.tags: list[str] = []
        self.model_docs: list[str] = []
        self.max_symbols = max_symbols
        self.i = 0

    # -- token helpers -----------------------------------------------------------------------------
    def at(self, index: int) -> Token | None:
        """Token ``index``, or None past the end of the text."""
        tokens = self.tokens
        while index >= len(tokens):
            token = next(self.unread, None)
            if token is None:
                return None
            tokens.append(token)
        return tokens[index]

    def peek(self, offset: int = 0) -> Token | None:
        return self.at(self.i + offset)

    def is_punct(self, token: Token | None, value: str) -> bool:
        return token is not None and token.kind == "punct" and token.value == value

    def is_word(self, token: Token | None, value: str) -> bool:
        return token is not None and token.kind == "ident" and token.value == value

    def source_text(self, start: int, stop_words: set[str]) -> tuple[str, int]:
        """The text from token ``start`` to the end of the expression (a new line, a block or a stop word),
        cut to ``MAX_SNIPPET`` characters: tokens starting past that window are not looked at."""
        end_index = start
        parens = 0
        first = self.at(start)
        window_end = first.start + MAX_SNIPPET if first is not None else 0
        while (token := self.at(end_index)) is not None:
            if end_index > start and ((token.line_start and parens == 0) or token.start >= window_end):
                break
            if parens == 0 and (
                (token.kind == "ident" and token.value in stop_words)
                or (token.kind == "punct" and token.value in ("{", "}", ",", ";"))
                or token.kind == "annotation"
            ):
                break
            if token.kind == "punct" and token.value in "([":
                parens += 1
            elif token.kind == "punct" and token.value in ")]":
                parens -= 1
            end_index += 1
        if first is None or end_index == start:
            return "", start
        return self.text[first.start : min(self.tokens[end_index - 1].end, window_end)], end_index

    # -- outline helpers ---------------------------------------------------------------------------
    def append(self, symbol: MalloySymbol) -> MalloySymbol:
        if self.max_symbols is not None and len(self.outline.symbols) >= self.max_symbols:
            raise _Full
        self.outline.symbols.append(symbol)
        return symbol

    def add(self, kind: str, name: str, line: int, *, parent: MalloySymbol | None, **data) -> MalloySymbol:
        block = self.blocks[-1]
        own_doc = "\n".join(self.docs)
        if block.statement_doc is None:
            doc = own_doc
        else:
            doc = f"{block.statement_doc}\n{own_doc}" if self.docs else block.statement_doc
        tags = (block.statement_tags + self.tags)[:MAX_STATEMENT_TAGS]
        self.docs, self.tags = [], []
        if tags:
            data["tags"] = tags
        return self.append(MalloySymbol(kind=kind, name=name, line=line, parent=parent, doc=doc, data=data))

    def annotation(self, token: Token) -> None:
        text = token.value
        if text.startswith("##"):
            body = text[1:]
            if body.startswith(DOC_PREFIX):
                doc = body[len(DOC_PREFIX) :].strip()
                if doc:  # joined once at the end: a string grown line by line would be quadratic
                    self.model_docs.append(doc)
            else:
                self.outline.annotations.append(text)
        elif text.startswith(DOC_PREFIX):
            self.docs.append(text[len(DOC_PREFIX) :].strip())
        else:
            self.tags.append(text[1:].strip())

    # -- statements --------------------------------------------------------------------------------
    def parse(self) -> MalloyOutline:
        try:
            self.statements()
        except _Full:
            self.outline.truncated = True
        self.outline.doc = "\n".join(self.model_docs)
        return self.outline

    def statements(self) -> None:
        previous: Token | None = None
        while (token := self.at(self.i)) is not None:
            block = self.blocks[-1]
            at_definition = block.parens == 0 and (
                token.line_start or self.is_punct(previous, ",") or self.is_punct(previous, ":")
            )
            if token.kind == "annotation":
                self.annotation(token)
            elif token.kind == "punct":
                self.punctuation(token, block)
            elif (
                token.kind == "ident"
                and block.parens == 0
                and self.is_punct(self.peek(1), ":")
                and not self.is_punct(previous, ".")
            ):
                block.statement = token.value
                block.statement_doc = "\n".join(self.docs)[:MAX_STATEMENT_DOC] if self.docs else None
                block.statement_tags = self.tags[:MAX_STATEMENT_TAGS]
                self.docs, self.tags = [], []
                block.pending_owner = None
                self.i += 1  # the colon
                if token.value == "run":
                    self.run_statement(block, token)
            elif self.is_word(token, "import") and len(self.blocks) == 1 and token.line_start:
                self.import_statement(token)
            elif self.is_word(token, "export") and len(self.blocks) == 1 and self.is_punct(self.peek(1), "{"):
                self.export_statement()
            elif at_definition and block.statement in DEFINING_STATEMENTS and token.kind in ("ident", "string"):
                self.definition(token, block)
            previous = self.at(self.i)
            self.i += 1

    def punctuation(self, token: Token, block: _Block) -> None:
        if token.value == "{":
            owner = block.pending_owner if block.parens == 0 and block.pending_owner else block.owner
            block.pending_owner = None
            self.blocks.append(_Block(owner=owner))
        elif token.value == "}":
            if len(self.blocks) > 1:
                self.blocks.pop()
        elif token.value in "([":
            block.parens += 1
        elif token.value in ")]":
            block.parens = max(block.parens - 1, 0)
        elif token.value == ";" and block.parens == 0:
            block.statement = None
            block.pending_owner = None

    def definition(self, token: Token, block: _Block) -> None:
        statement = block.statement or ""
        kind = DEFINING_STATEMENTS[statement]
        name = unquote(token.value)
        following = self.peek(1)
        if kind == "given" and self.is_punct(following, "::"):
            type_text, _ = self.source_text(self.i + 2, {"is"})
            self.add("given", name, token.line, parent=block.owner, type=type_text)
            return
        if kind == "source" and self.is_punct(following, "("):
            self.i += 1
            parameters = self.parameters()
            if not self.is_word(self.peek(1), "is"):
                return
            self.i += 1  # onto "is"
            symbol = self.add("source", name, token.line, parent=block.owner)
            for parameter_name, parameter_type, line in parameters:
                self.append(
                    MalloySymbol(
                        kind="given", name=parameter_name, line=line, parent=symbol, data={"type": parameter_type}
                    )
                )
            self.after_is(symbol, block)
            return
        if self.is_word(following, "is") and not (
            self.is_word(self.peek(2), "null") or self.is_word(self.peek(2), "not")
        ):
            symbol = self.add(kind, name, token.line, parent=block.owner)
            self.i += 1
            self.after_is(symbol, block)
        elif statement in JOIN_STATEMENTS and token.kind == "ident":
            symbol = self.add("join", name, token.line, parent=block.owner, target=name, cardinality=statement[5:])
            block.pending_owner = symbol

    def after_is(self, symbol: MalloySymbol, block: _Block) -> None:
        """Read what follows ``is``: the base of a source or join, the source and view of a query."""
        start = self.i + 1
        if symbol.kind == "source":
            base, _ = self.source_text(start, {"extend", "include"})
            symbol.data["base"] = base
        elif symbol.kind == "join":
            target, _ = self.source_text(start, JOIN_CLAUSE_WORDS | {"extend"})
            symbol.data.update(target=target, cardinality=block.statement[5:] if block.statement else "")
        elif symbol.kind in ("query", "view"):
            self.pipeline(symbol, start)
        block.pending_owner = symbol

    def pipeline(self, symbol: MalloySymbol, start: int) -> None:
        """``source -> view`` (or ``source -> { ... }``): remember the source and the first named view."""
        first = self.at(start)
        if first is None or first.kind != "ident":
            return
        if symbol.kind == "query":
            symbol.data["source"] = first.value
        after = self.at(start + 1)
        view = self.at(start + 2)
        if self.is_punct(after, "->") and view is not None and view.kind == "ident":
            symbol.data["view"] = view.value

    def parameters(self) -> list[tuple[str, str, int]]:
        """Source parameters ``(name::type is default, ...)``; leaves the cursor on the closing paren."""
        found: list[tuple[str, str, int]] = []
        depth = 0
        while (token := self.at(self.i)) is not None:
            if self.is_punct(token, "("):
                depth += 1
            elif self.is_punct(token, ")"):
                depth -= 1
                if depth == 0:
                    return found
            elif (
                depth == 1
                and token.kind == "ident"
                and self.is_punct(self.peek(1), "::")
                and (self.is_punct(self.tokens[self.i - 1], "(") or self.is_punct(self.tokens[self.i - 1], ","))
            ):
                type_token = self.peek(2)
                found.append((token.value, type_token.value if type_token else "", token.line))
            self.i += 1
        return found

    def run_statement(self, block: _Block, keyword: Token) -> None:
        first = self.peek(1)
        if first is None:
            return
        # A run has no name: it is known by its text, up to the end of its first line. Only a window of
        # MAX_SNIPPET characters is searched: on one huge line, searching to its end for every run
        # would be quadratic.
        window_end = min(first.start + MAX_SNIPPET, len(self.text))
        line_end = self.text.find("\n", first.start, window_end)
        name = self.text[first.start : window_end if line_end == -1 else line_end].strip()
        symbol = self.add("run", name, keyword.line, parent=block.owner)
        self.pipeline(symbol, self.i + 1)
        if first.kind == "ident":
            symbol.data["source"] = first.value
        block.pending_owner = symbol

    def import_statement(self, keyword: Token) -> None:
        names: list[str] = []
        self.i += 1
        if self.is_punct(self.peek(), "{"):
            while (token := self.peek()) is not None and not self.is_punct(token, "}"):
                previous = self.tokens[self.i - 1]
                if token.kind == "ident" and not self.is_word(previous, "as") and not self.is_word(token, "as"):
                    names.append(token.value)
                self.i += 1
            self.i += 1  # the closing brace
            if self.is_word(self.peek(), "from"):
                self.i += 1
        target = self.peek()
        if target is not None and target.kind == "string":
            self.add("import", unquote(target.value), keyword.line, parent=None, names=names)
        else:
            self.i -= 1

    def export_statement(self) -> None:
        self.i += 2  # "export" "{"
        while (token := self.peek()) is not None and not self.is_punct(token, "}"):
            if token.kind in ("ident", "string"):
                self.add("export", unquote(token.value), token.line, parent=None)
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
