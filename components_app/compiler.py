"""The component compiler hook.

``settings.REGISTRY_COMPONENT_COMPILER`` names a function ``(*, name, type, content) -> CompiledComponent``
that raises :class:`CompilationError` for bad source. Services call :func:`compile_component`, which
loads the configured function and turns its errors into ``400 COMPILATION_ERROR`` with
``details.errors: [{line, column, message}]`` (``line`` and ``column`` are null where unknown, e.g. for a
component stopped for running too long).

The default is the BindJS compiler, :func:`components_app.bindjs.compile_bindjs`. This module also keeps
the registry's first format, :func:`comment_tag_compiler`, for deployments that still need it: it passes
the source through unchanged as the compiled output and reads the component's title, description and
property schema from doc-comment tags, one per line, anywhere in the source::

    // @title Product card
    // @description Shows a product with its price.
    // @prop title: string - The product name
    // @prop price: number = 0 - Price in cents
    // @prop featured?: boolean

``@prop NAME[?]: TYPE [= DEFAULT] [- DESCRIPTION]``: TYPE is one of string, number, integer, boolean,
array, object; a trailing ``?`` marks the property optional (others are required); DEFAULT is JSON
(finite numbers only: no NaN or Infinity) and runs up to the first `` - ``, if any.
The schema is a JSON Schema object of those properties. A malformed tag, an unknown type, a repeated
property or unbalanced brackets (outside strings and comments) are compile errors with line numbers.
"""

import json
import math
import re
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from registry.errors import RegistryError

PROP_TYPES = ("string", "number", "integer", "boolean", "array", "object")
_TAG = re.compile(r"^\s*(?://|\*|/\*\*?)\s*@(?P<tag>[a-zA-Z]+)\b(?P<rest>.*)$")
# ``@prop`` is read in two linear steps: this prefix by regex, the ``[= DEFAULT] [- DESCRIPTION]`` tail by hand
# (see _split_prop). A single regex with a lazy DEFAULT before an optional description backtracks
# quadratically on long runs of whitespace.
_PROP_HEAD = re.compile(r"\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<optional>\?)?\s*:\s*(?P<type>[A-Za-z]+)")
_DESCRIPTION_DASH = re.compile(r"\s-\s")  # the first whitespace-dash-whitespace ends DEFAULT
_PAIRS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class CompileProblem:
    line: int | None
    message: str
    column: int | None = None


class CompilationError(Exception):
    def __init__(self, problems: list[CompileProblem]):
        super().__init__("; ".join(f"line {p.line}: {p.message}" if p.line else p.message for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CompiledComponent:
    compiled: str
    title: str = ""
    description: str = ""
    schema: dict = field(default_factory=dict)


def comment_tag_compiler(*, name: str, type: str, content: str) -> CompiledComponent:
    problems: list[CompileProblem] = []
    title, description = "", ""
    properties: dict[str, dict] = {}
    required: list[str] = []
    for number, line in enumerate(content.splitlines(), start=1):
        match = _TAG.match(line)
        if not match:
            continue
        tag, rest = match["tag"], match["rest"].strip().removesuffix("*/").strip()
        if tag == "title":
            title = rest
        elif tag == "description":
            description = f"{description} {rest}".strip()
        elif tag == "prop":
            _read_prop(rest, number, properties, required, problems)
    problems.extend(_bracket_problems(content))
    if problems:
        raise CompilationError(sorted(problems, key=lambda p: p.line or 0))
    schema: dict = {}
    if properties:
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
    return CompiledComponent(compiled=content, title=title or name, description=description, schema=schema)


@dataclass(frozen=True)
class _PropTag:
    name: str
    optional: bool
    type: str
    default: str | None
    description: str | None


def _split_prop(text: str) -> _PropTag | None:
    """Parse ``NAME[?]: TYPE [= DEFAULT] [- DESCRIPTION]``; None if malformed. Linear in ``len(text)``.

    DEFAULT (when there is an ``=``) runs from its first non-space character up to the first
    whitespace-``-``-whitespace after that character, or else to the end of the line; DESCRIPTION is what
    follows that dash. Without an ``=``, the rest is either blank or ``<spaces>-<spaces>DESCRIPTION``.
    """
    head = _PROP_HEAD.match(text)
    if not head:
        return None
    rest = text[head.end() :]
    default = description = None
    after = rest.lstrip()
    if after.startswith("=") and after[1:]:
        value = after[1:].lstrip()
        if not value:  # only whitespace after '=': the last of it is the (invalid) default
            default = after[-1]
        elif dash := _DESCRIPTION_DASH.search(value, 1):
            default, description = value[: dash.start() + 1].rstrip(), value[dash.end() - 1 :].lstrip()
        else:
            default = value.rstrip()
    elif rest.strip():  # no default: only '<spaces>-<spaces>DESCRIPTION' may follow the type
        spaces = len(rest) - len(rest.lstrip())
        if not (spaces and rest[spaces] == "-" and rest[spaces + 1 : spaces + 2].isspace()):
            return None
        description = rest[spaces + 1 :].lstrip()
    return _PropTag(head["name"], bool(head["optional"]), head["type"], default, description)


class _NonFiniteNumber(ValueError):
    pass


def _refuse_constant(literal: str):
    raise _NonFiniteNumber(literal)  # NaN, Infinity, -Infinity: Python's json accepts them, JSON does not


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):  # 1e999 and the like
        raise _NonFiniteNumber(literal)
    return number


def _parse_default(text: str) -> tuple[object, str | None]:
    """The JSON value of a DEFAULT and None, or None and why it is refused."""
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float), None
    except _NonFiniteNumber:
        return None, "is not a finite number (NaN, Infinity and out-of-range numbers are not JSON)"
    except RecursionError:
        return None, "is nested too deeply"
    except ValueError:
        return None, "is not valid JSON"


def _read_prop(text: str, line: int, properties: dict, required: list, problems: list) -> None:
    match = _split_prop(text)
    if match is None:
        problems.append(CompileProblem(line, "malformed @prop: expected 'NAME[?]: TYPE [= DEFAULT] [- DESCRIPTION]'"))
        return
    name, kind = match.name, match.type
    if kind not in PROP_TYPES:
        problems.append(CompileProblem(line, f"unknown type '{kind}' for property '{name}'"))
        return
    if name in properties:
        problems.append(CompileProblem(line, f"property '{name}' is declared twice"))
        return
    prop: dict = {"type": kind}
    if match.default is not None:
        value, refusal = _parse_default(match.default)
        if refusal:
            problems.append(CompileProblem(line, f"default of '{name}' {refusal}"))
            return
        prop["default"] = value
    if match.description:
        prop["description"] = match.description
    properties[name] = prop
    if not match.optional:
        required.append(name)


def _bracket_problems(content: str) -> list[CompileProblem]:
    """Unbalanced (), [] and {} outside strings and comments, with the line of each problem."""
    stack: list[tuple[str, int]] = []
    problems: list[CompileProblem] = []
    line, i, n = 1, 0, len(content)
    quote: str | None = None
    while i < n:
        ch = content[i]
        if ch == "\n":
            line += 1
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif content.startswith("//", i):
            end = content.find("\n", i)
            i = n if end == -1 else end
            continue
        elif content.startswith("/*", i):
            end = content.find("*/", i + 2)
            if end == -1:
                problems.append(CompileProblem(line, "unterminated block comment"))
                return problems
            line += content.count("\n", i, end)
            i = end + 2
            continue
        elif ch in "'\"`":
            quote = ch
        elif ch in "([{":
            stack.append((ch, line))
        elif ch in ")]}":
            if not stack or stack[-1][0] != _PAIRS[ch]:
                problems.append(CompileProblem(line, f"unexpected '{ch}'"))
                return problems
            stack.pop()
        i += 1
    problems.extend(CompileProblem(opened_at, f"'{opener}' is never closed") for opener, opened_at in stack)
    return problems


@cache
def _configured_compiler(path: str):
    return import_string(path)


def compile_component(*, name: str, type: str, content: str) -> CompiledComponent:
    """Compile with the configured hook; a compile error is ``400 COMPILATION_ERROR`` listing each problem."""
    compiler = _configured_compiler(settings.REGISTRY_COMPONENT_COMPILER)
    try:
        return compiler(name=name, type=type, content=content)
    except CompilationError as exc:
        raise RegistryError(
            "COMPILATION_ERROR",
            f"Component '{name}' does not compile: {exc}",
            status=400,
            details={"errors": [{"line": p.line, "column": p.column, "message": p.message} for p in exc.problems]},
        ) from exc
