"""Indexing caps: a file, and a version, yield a bounded number of entries, and say when they were cut."""

import io
import json

import pytest

from packages_app.indexing import extract, index_version
from packages_app.indexing.extract import MAX_ENTRIES_PER_FILE, extract_entries
from packages_app.models import IndexKind, IndexStatus

from .builders import manifest_files, zip_bytes

VERSION_URL = "/api/v0/organizations/acme/projects/finance/packages/ledger/versions/1.0.0"


def dimensions(count: int) -> str:
    return "source: big is duckdb.table('t') extend {\n  dimension:\n" + "    d is 1\n" * count + "}\n"


def extracted(**files) -> list:
    return extract_entries(io.BytesIO(zip_bytes(manifest_files(**files))))


def of_path(entries, path):
    return [entry for entry in entries if entry.path == path]


def truncation(entries, kind, path):
    (entry,) = [entry for entry in entries if entry.kind == kind and entry.path == path]
    return entry.data.get("truncated")


@pytest.fixture
def small_caps(monkeypatch):
    monkeypatch.setattr(extract, "MAX_ENTRIES_PER_FILE", 20)
    monkeypatch.setattr(extract, "MAX_ENTRIES_PER_VERSION", 50)


def test_a_model_with_more_entries_than_the_file_cap_keeps_exactly_the_cap_and_says_so():
    entries = extracted(**{"big.malloy": dimensions(MAX_ENTRIES_PER_FILE + 5_000)})
    assert len(of_path(entries, "big.malloy")) == MAX_ENTRIES_PER_FILE
    marker = {
        "scope": "file",
        "limit": MAX_ENTRIES_PER_FILE,
        "message": f"more than {MAX_ENTRIES_PER_FILE} index entries in big.malloy: only the first "
        f"{MAX_ENTRIES_PER_FILE} are indexed",
    }
    assert truncation(entries, IndexKind.FILE, "big.malloy") == marker
    assert truncation(entries, IndexKind.MODEL, "big.malloy") == marker
    assert truncation(entries, IndexKind.MANIFEST, "publisher.json") is None


def test_a_model_exactly_at_the_file_cap_is_not_marked_truncated(small_caps):
    # file + model + source + 17 dimensions = 20 entries: everything fits.
    entries = extracted(**{"m.malloy": dimensions(17)})
    assert len(of_path(entries, "m.malloy")) == 20
    assert truncation(entries, IndexKind.FILE, "m.malloy") is None
    entries = extracted(**{"m.malloy": dimensions(18)})
    assert len(of_path(entries, "m.malloy")) == 20
    assert truncation(entries, IndexKind.MODEL, "m.malloy")["scope"] == "file"


def test_a_truncated_file_does_not_stop_the_files_after_it(small_caps):
    entries = extracted(**{"a.malloy": dimensions(100), "b.malloy": "source: b is duckdb.table('b')\n"})
    assert len(of_path(entries, "a.malloy")) == 20
    assert [entry.kind for entry in of_path(entries, "b.malloy")] == ["file", "model", "source"]
    assert truncation(entries, IndexKind.MODEL, "b.malloy") is None


def test_a_notebook_with_more_cells_than_the_file_cap_keeps_the_cap_and_what_those_cells_use(small_caps):
    cells = "".join(f">>>malloy\nrun: source_{index} -> view_{index}\n" for index in range(50))
    entries = extracted(**{"n.malloynb": cells})
    kept = of_path(entries, "n.malloynb")
    assert len(kept) == 20
    notebook = next(entry for entry in kept if entry.kind == IndexKind.NOTEBOOK)
    assert notebook.data["truncated"]["scope"] == "file"
    runs = [entry for entry in kept if entry.kind == IndexKind.RUN]
    assert notebook.data["uses"] == [name for run in runs for name in (run.data["source"], run.data["view"])]


def test_past_the_version_cap_indexing_stops_and_the_last_file_says_why(small_caps):
    files = {f"m{index}.malloy": dimensions(10) for index in range(6)}  # 13 entries each
    entries = extracted(**files)
    assert len(entries) == 50
    assert extract.MAX_ENTRIES_PER_VERSION == 50
    # publisher.json (2 entries) and m0..m2 (39) fit; m3 stops after 9; m4 and m5 are not read at all.
    assert [len(of_path(entries, f"m{index}.malloy")) for index in range(6)] == [13, 13, 13, 9, 0, 0]
    marker = truncation(entries, IndexKind.MODEL, "m3.malloy")
    assert marker == {
        "scope": "version",
        "limit": 50,
        "message": "more than 50 index entries in the version: only the first 50 are indexed; indexing "
        "stopped in m3.malloy",
    }
    assert truncation(entries, IndexKind.FILE, "m3.malloy") == marker


def test_components_past_the_version_cap_are_cut_and_the_manifest_says_so(small_caps):
    manifest = {"name": "widgets", "components": [{"name": f"c{index}", "type": "chart"} for index in range(80)]}
    entries = extracted(**{"publisher.json": json.dumps(manifest)})
    assert len(entries) == 50
    assert sum(entry.kind == IndexKind.COMPONENT for entry in entries) == 48
    marker = truncation(entries, IndexKind.MANIFEST, "publisher.json")
    assert marker["scope"] == "version"
    assert marker["message"].endswith("indexing stopped in the components of publisher.json")


def test_a_one_megabyte_line_of_runs_is_indexed_up_to_the_file_cap():
    # How long this takes is measured by bench/hostile_inputs.py.
    archive = zip_bytes(manifest_files(**{"runs.malloy": "run: a " * (1_000_000 // 7)}))
    entries = extract_entries(io.BytesIO(archive))
    assert len(of_path(entries, "runs.malloy")) == MAX_ENTRIES_PER_FILE
    assert truncation(entries, IndexKind.MODEL, "runs.malloy")["scope"] == "file"


@pytest.mark.django_db
def test_a_truncated_version_is_indexed_and_its_contents_show_the_truncation(
    publish, small_caps, user, grant, project, client_for
):
    from registry.models import Role

    version = publish(zip_bytes(manifest_files(**{"big.malloy": dimensions(100)})))
    assert index_version(version_id=version.id) in ("indexed", "skipped")
    version.refresh_from_db()
    assert version.index_status == IndexStatus.INDEXED
    assert version.index_entries.filter(path="big.malloy").count() == 20
    grant(project, Role.VIEWER, user=user)
    body = client_for(user).get(f"{VERSION_URL}/contents?path=big.malloy&kind=file,model").json()
    assert {row["kind"]: row["data"]["truncated"]["scope"] for row in body} == {"file": "file", "model": "file"}
