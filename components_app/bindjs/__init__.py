"""The BindJS component compiler, the registry's default (``REGISTRY_COMPONENT_COMPILER``).

A component's ``content`` is a TypeScript module whose default export is ``defineComponent({ metadata,
properties, body })``. Compiling it:

1. Deno (the ``deno`` package, a pinned Deno binary) strips the TypeScript to JavaScript with its own
   transpiler; that JavaScript is ``compiled``. A syntax error carries the transpiler's line and column.
2. The module is evaluated in that Deno process, started with no permissions at all, after the harness
   (``harness.js``) has removed the host's globals, put ours in (``prelude.js``: ``defineComponent`` and the
   ``Property*`` helpers) and frozen every built-in. CPU time, wall time and memory are bounded
   (``runner.py``). ``metadata`` and ``properties`` may be records or functions returning one; the body is
   never called.
3. ``metadata.title`` and ``metadata.description`` become the component's title and description, and the
   property records become its JSON Schema (``schema.py``).

Anything that fails is a :class:`~components_app.compiler.CompilationError` listing ``{line, column,
message}`` problems, with lines and columns in the TypeScript source where they are known.
"""

from components_app.bindjs.runner import run_harness
from components_app.bindjs.schema import SchemaProblems, component_schema
from components_app.compiler import CompilationError, CompiledComponent, CompileProblem


def compile_bindjs(*, name: str, type: str, content: str) -> CompiledComponent:
    outcome = run_harness(content)
    if outcome.answer is None:
        raise CompilationError([CompileProblem(None, outcome.refusal, column=None)])
    answer = outcome.answer
    if not answer.get("ok"):
        raise CompilationError(
            [CompileProblem(e.get("line"), str(e.get("message")), column=e.get("column")) for e in answer["errors"]]
        )
    at = tuple(answer["at"]) if answer.get("at") else None
    metadata = answer.get("metadata")
    if not isinstance(metadata, dict):
        raise CompilationError([_problem(at, "metadata must be a record: { title, description }")])
    title, description = metadata.get("title", ""), metadata.get("description", "")
    if not isinstance(title, str) or not isinstance(description, str):
        raise CompilationError([_problem(at, "metadata.title and metadata.description must be strings")])
    try:
        schema = component_schema(answer.get("properties"), at=at)
    except SchemaProblems as exc:
        raise CompilationError([_problem(p.at, p.message) for p in exc.problems]) from exc
    return CompiledComponent(compiled=answer["compiled"], title=title or name, description=description, schema=schema)


def _problem(at: tuple[int, int] | None, message: str) -> CompileProblem:
    return CompileProblem(at[0] if at else None, message, column=at[1] if at else None)
