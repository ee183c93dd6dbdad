"""Our Malloy reader against the official parser (npm ``@malloydata/malloy``) over tests/indexing/malloy_corpus.

The parser runs in Node (tests/indexing/node/outline.js): it is installed on first use from the npm registry
into tests/indexing/node/node_modules with ``npm ci``, at the versions package-lock.json pins. Where the two
disagree on any definition (kind, name, parent, line, doc, tags, imported names), the parser is right.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from packages_app.indexing.malloy import parse_malloy
from tests.node_packages import install_pinned, node_or_skip

NODE_DIR = Path(__file__).parent / "node"
CORPUS = Path(__file__).parent / "malloy_corpus"
MODELS = sorted(CORPUS.glob("*.malloy"))


@pytest.fixture(scope="module")
def official_outlines() -> dict[str, dict]:
    node = node_or_skip("the official Malloy parser")
    install_pinned(NODE_DIR, installed=(NODE_DIR / "node_modules" / "@malloydata" / "malloy").is_dir)
    completed = subprocess.run(
        [node, "outline.js", *map(str, MODELS)], cwd=NODE_DIR, capture_output=True, text=True, timeout=300
    )
    if completed.returncode != 0:
        pytest.fail(f"the official parser failed: {completed.stderr[-2000:]}")
    return {Path(result["file"]).name: result for result in json.loads(completed.stdout)}


def ours(text: str) -> tuple[dict, list[dict]]:
    outline = parse_malloy(text)
    definitions = []
    for symbol in outline.symbols:
        entry = {
            "kind": symbol.kind,
            "name": symbol.name,
            "parent": f"{symbol.parent.kind} {symbol.parent.name}" if symbol.parent else None,
            "line": symbol.line,
            "doc": symbol.doc,
            "tags": symbol.data.get("tags", []),
        }
        if symbol.kind == "import":
            entry["names"] = symbol.data["names"]
        definitions.append(entry)
    return {"doc": outline.doc, "tags": outline.annotations}, definitions


def key(entry: dict) -> tuple:
    return entry["line"], entry["kind"], entry["name"]


def test_the_corpus_covers_every_kind_of_definition(official_outlines):
    kinds = {entry["kind"] for result in official_outlines.values() for entry in result["definitions"]}
    assert kinds >= {"import", "source", "given", "dimension", "measure", "rename", "join", "view", "nest"}
    assert kinds >= {"field", "query", "run"}


@pytest.mark.parametrize("model", MODELS, ids=lambda path: path.name)
def test_our_reader_finds_what_the_official_parser_finds(official_outlines, model):
    official = official_outlines[model.name]
    assert official["errors"] == [], f"the corpus model {model.name} must be valid Malloy"
    model_notes, definitions = ours(model.read_text())
    assert model_notes == official["model"]
    expected = sorted(official["definitions"], key=key)
    found = sorted(definitions, key=key)
    missing = [entry for entry in expected if entry not in found]
    extra = [entry for entry in found if entry not in expected]
    assert (missing, extra) == ([], []), f"missing (the parser has, we lack) and extra (ours only) in {model.name}"
    assert found == expected
