"""The component compiler hook.

``settings.REGISTRY_COMPONENT_COMPILER`` names a function ``(*, name, type, content) -> CompiledComponent``
that raises :class:`CompilationError` for bad source. Services call :func:`compile_component`, which
loads the configured function and turns its errors into ``400 COMPILATION_ERROR``.

The default compiler passes the source through unchanged as the compiled output and reads the
component's title, description and property schema from doc-comment tags, one per line, anywhere in
the source::

    // @title Product card
    // @description Shows a product with its price.
    // @prop title: string - The product name
    // @prop price: number = 0 - Price in cents
    // @prop featured?: boolean

``@prop NAME[?]: TYPE [= DEFAULT] [- DESCRIPTION]``: TYPE is one of string, number, integer, boolean,
array, object; a trailing ``?`` marks the property optional (others are required); DEFAULT is JSON.
The schema is a JSON Schema object of those properties. A malformed tag, an unknown type, a repeated
property or unbalanced brackets (outside strings and comments) are compile errors with line numbers.
"""

import json
import re
from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from registry.errors import RegistryError

PROP_TYPES = ("string", "number", "integer", "boolean", "array", "object")
_TAG = re.compile(r"^\s*(?://|\*|/\*\*?)\s*@(?P<tag>[a-zA-Z]+)\b(?P<rest>.*)$")
_PROP = re.compile(
    r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<optional>\?)?\s*:\s*(?P<type>[A-Za-z]+)"
    r"(?:\s*=\s*(?P<default>.+?))?(?:\s+-\s+(?P<description>.*))?\s*$"
)
_PAIRS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class CompileProblem:
    line: int
    message: str


class CompilationError(Exception):
    def __init__(self, problems: list[CompileProblem]):
        super().__init__("; ".join(f"line {p.line}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CompiledComponent:
    compiled: str
    title: str = ""
    description: str = ""
    schema: dict = field(default_factory=dict)


def default_compiler(*, name: str, type: str, content: str) -> CompiledComponent:
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
        raise CompilationError(sorted(problems, key=lambda p: p.line))
    schema: dict = {}
    if properties:
        schema = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
    return CompiledComponent(compiled=content, title=title or name, description=description, schema=schema)


def _read_prop(text: str, line: int, properties: dict, required: list, problems: list) -> None:
    match = _PROP.match(text)
    if not match:
        problems.append(CompileProblem(line, "malformed @prop: expected 'NAME[?]: TYPE [= DEFAULT] [- DESCRIPTION]'"))
        return
    name, kind = match["name"], match["type"]
    if kind not in PROP_TYPES:
        problems.append(CompileProblem(line, f"unknown type '{kind}' for property '{name}'"))
        return
    if name in properties:
        problems.append(CompileProblem(line, f"property '{name}' is declared twice"))
        return
    prop: dict = {"type": kind}
    if match["default"] is not None:
        try:
            prop["default"] = json.loads(match["default"])
        except ValueError:
            problems.append(CompileProblem(line, f"default of '{name}' is not valid JSON"))
            return
    if match["description"]:
        prop["description"] = match["description"]
    properties[name] = prop
    if not match["optional"]:
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
            details={"errors": [{"line": p.line, "message": p.message} for p in exc.problems]},
        ) from exc
