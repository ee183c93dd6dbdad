import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.db import OperationalError
from django.utils import timezone

from packages_app.indexing import index_version, request_reindex
from packages_app.indexing.service import TransientIndexingError, claim
from packages_app.models import IndexEntry, IndexKind, IndexStatus, Version, artifact_key

from .builders import manifest_files, tar_gz_bytes, zip_bytes
from .conftest import rich_archive

pytestmark = pytest.mark.django_db


def entries(version, kind=None):
    rows = IndexEntry.objects.filter(version=version).select_related("parent")
    return [row for row in rows if kind is None or row.kind == kind]


def test_a_version_published_with_no_broker_is_indexed_after_commit(publish, django_capture_on_commit_callbacks):
    from django.db import transaction

    from packages_app.tasks import schedule_indexing

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        version = publish()
        schedule_indexing(version.id)  # as every publish service does, inside its transaction
        assert Version.objects.get(pk=version.id).index_status == IndexStatus.UNKNOWN
    version.refresh_from_db()
    assert version.index_status == IndexStatus.INDEXED
    assert version.indexed_at is not None
    assert version.index_attempts == 1
    assert {row.name for row in entries(version, IndexKind.SOURCE)} == {"orders"}


def test_every_file_is_listed_with_its_size_and_sha256(publish):
    import hashlib

    csv = b"id,origin,destination,distance\n1,SFO,JFK,2586\n"
    version = publish(rich_archive())
    assert index_version(version_id=version.id) == "indexed"
    files = {row.path: row.data for row in entries(version, IndexKind.FILE)}
    assert len(files) == 8
    assert files["data/flights.csv"] == {"size": len(csv), "sha256": hashlib.sha256(csv).hexdigest()}


def test_the_manifest_fields_are_indexed(publish):
    version = publish(rich_archive())
    index_version(version_id=version.id)
    (manifest,) = entries(version, IndexKind.MANIFEST)
    assert manifest.doc == "Airline analytics"
    assert manifest.data == {
        "name": "airline",
        "description": "Airline analytics",
        "explores": ["flights.malloy"],
        "queryableSources": ["flights"],
        "dependencies": {"core": "^1.0.0"},
    }


def test_model_symbols_keep_lines_docs_and_parents(publish):
    version = publish(rich_archive())
    index_version(version_id=version.id)
    by_name = {(row.kind, row.name): row for row in entries(version)}
    model = by_name[(IndexKind.MODEL, "flights.malloy")]
    assert model.doc == "Flight models for the airline analytics package"
    source = by_name[(IndexKind.SOURCE, "flights")]
    assert (source.parent_id, source.line, source.path) == (model.id, 14, "flights.malloy")
    view = by_name[(IndexKind.VIEW, "by_carrier")]
    assert (view.parent_id, view.line, view.doc) == (source.id, 34, "Flights per carrier, busiest first")
    assert by_name[(IndexKind.DIMENSION, "distance_band")].parent_id == source.id
    assert by_name[(IndexKind.GIVEN, "min_distance")].parent_id == source.id
    assert by_name[(IndexKind.QUERY, "busiest_carriers")].data == {"source": "flights", "view": "by_carrier"}
    assert {row.name for row in entries(version, IndexKind.EXPORT)} == {"flights", "long_flights"}


def test_notebook_cells_record_what_they_use_with_file_line_numbers(publish):
    version = publish(rich_archive())
    index_version(version_id=version.id)
    (notebook,) = entries(version, IndexKind.NOTEBOOK)
    assert notebook.data["uses"] == ["flights", "by_carrier", "long_flights", "by_distance"]
    cells = sorted(entries(version, IndexKind.CELL), key=lambda row: row.line)
    assert [(c.line, c.data["language"], c.parent_id) for c in cells] == [
        (1, "markdown", notebook.id),
        (4, "malloy", notebook.id),
        (6, "malloy", notebook.id),
        (9, "markdown", notebook.id),
        (11, "malloy", notebook.id),
    ]
    (run,) = [row for row in entries(version, IndexKind.RUN) if row.path.endswith(".malloynb")]
    assert (run.path, run.line, run.parent_id) == ("notebooks/overview.malloynb", 8, cells[2].id)


def test_data_files_dashboards_and_apps_are_indexed(publish):
    version = publish(rich_archive())
    index_version(version_id=version.id)
    data = {row.path: row.data for row in entries(version, IndexKind.DATA)}
    assert data["data/flights.csv"]["columns"] == ["id", "origin", "destination", "distance"]
    assert data["data/legs.parquet"]["format"] == "parquet"
    (dashboard,) = entries(version, IndexKind.DASHBOARD)
    assert dashboard.path == "dashboards/ops.malloy"
    assert [row.parent_id for row in entries(version) if row.name == "ops"] == [dashboard.id]
    assert [row.path for row in entries(version, IndexKind.APP)] == ["public/index.html"]


def test_component_packages_index_each_component_with_type_and_version(publish):
    manifest = {
        "name": "widgets",
        "kind": "components",
        "components": [
            {"name": "chart", "type": "view", "version": 3, "title": "Chart", "path": "components/chart.js"},
            {"name": "page", "type": "layout", "version": 1, "description": "A page", "path": "components/page.js"},
        ],
    }
    archive = zip_bytes(
        manifest_files(manifest, **{"components/chart.js": "export default 1", "components/page.js": "x"})
    )
    version = publish(archive)
    index_version(version_id=version.id)
    components = {
        row.name: (row.data["type"], row.data["version"], row.path, row.doc)
        for row in entries(version, IndexKind.COMPONENT)
    }
    assert components == {
        "chart": ("view", 3, "components/chart.js", "Chart"),
        "page": ("layout", 1, "components/page.js", "A page"),
    }


def test_a_tar_gz_package_is_indexed_like_a_zip(publish):
    version = publish(tar_gz_bytes(manifest_files(**{"m.malloy": "source: s is t.table('x')"})))
    assert index_version(version_id=version.id) == "indexed"
    assert [row.name for row in entries(version, IndexKind.SOURCE)] == ["s"]


def test_a_malicious_archive_fails_its_version_with_a_message_a_person_can_act_on(publish):
    version = publish(zip_bytes(manifest_files(**{"../../etc/passwd": "root"})))
    assert index_version(version_id=version.id) == "failed"
    version.refresh_from_db()
    assert version.index_status == IndexStatus.FAILED
    assert version.index_error == "entry ../../etc/passwd escapes the archive root"
    assert not entries(version)


def test_a_bad_archive_does_not_stop_the_next_version_from_indexing(publish):
    bad = publish(zip_bytes(manifest_files(**{"/abs": "x"})), version="1.0.0")
    good = publish(version="1.0.1")
    assert [index_version(version_id=bad.id), index_version(version_id=good.id)] == ["failed", "indexed"]


def test_a_corrupted_stored_blob_fails_the_sha256_check(publish, settings):
    version = publish()
    for location in settings.REGISTRY_STORAGE_LOCATIONS:
        path = Path(storages[location].path(artifact_key(version.artifact.sha256)))
        if path.exists():
            path.write_bytes(b"tampered")
    assert index_version(version_id=version.id) == "failed"
    version.refresh_from_db()
    assert "is intact (missing or not matching its sha256)" in version.index_error


def test_a_corrupted_primary_blob_is_indexed_from_a_healthy_replica(publish, package):
    from packages_app.replication import replicate_artifact

    package.replication_count = 2
    package.save()
    version = publish()
    replicate_artifact(artifact_id=version.artifact_id)
    Path(storages["artifacts"].path(artifact_key(version.artifact.sha256))).write_bytes(b"tampered")
    assert index_version(version_id=version.id) == "indexed"


def test_a_missing_blob_fails_with_how_to_restore_it(publish):
    version = publish()
    storages["artifacts"].delete(artifact_key(version.artifact.sha256))
    assert index_version(version_id=version.id) == "failed"
    version.refresh_from_db()
    assert "upload the same file again or repair it from a replica" in version.index_error


def test_an_indexed_version_is_not_indexed_again_by_a_duplicate_delivery(publish):
    version = publish()
    index_version(version_id=version.id)
    count = len(entries(version))
    assert index_version(version_id=version.id) == "skipped"
    version.refresh_from_db()
    assert (version.index_attempts, len(entries(version))) == (1, count)


def test_a_version_being_indexed_cannot_be_claimed_twice(publish):
    version = publish()
    assert claim(version_id=version.id) is not None
    assert claim(version_id=version.id) is None
    assert index_version(version_id=version.id) == "skipped"


def test_a_claim_older_than_the_hard_time_limit_can_be_taken_over(publish, settings):
    version = publish()
    claim(version_id=version.id)
    past = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    Version.objects.filter(pk=version.id).update(index_started_at=past)
    assert index_version(version_id=version.id) == "indexed"


def test_a_gone_version_is_skipped_quietly():
    assert index_version(version_id=987654) == "skipped"


def test_a_failed_version_is_indexed_again_on_request(publish, django_capture_on_commit_callbacks):
    version = publish()
    Version.objects.filter(pk=version.id).update(index_status=IndexStatus.FAILED, index_error="old")
    with django_capture_on_commit_callbacks(execute=True):
        request_reindex(version_id=version.id)
    version.refresh_from_db()
    assert (version.index_status, version.index_error) == (IndexStatus.INDEXED, "")


def test_reindexing_replaces_the_entries_rather_than_adding_to_them(publish, django_capture_on_commit_callbacks):
    version = publish()
    index_version(version_id=version.id)
    before = sorted((row.kind, row.name) for row in entries(version))
    with django_capture_on_commit_callbacks(execute=True):
        request_reindex(version_id=version.id)
    assert sorted((row.kind, row.name) for row in entries(version)) == before


def test_a_worker_whose_claim_was_reset_writes_nothing(publish, monkeypatch):
    from packages_app.indexing import service

    version = publish()
    real_extract = service.extract_entries

    def reset_meanwhile(fileobj):
        Version.objects.filter(pk=version.id).update(index_status=IndexStatus.UNKNOWN, index_started_at=None)
        return real_extract(fileobj)

    monkeypatch.setattr(service, "extract_entries", reset_meanwhile)
    assert index_version(version_id=version.id) == "skipped"
    version.refresh_from_db()
    assert version.index_status == IndexStatus.UNKNOWN
    assert not entries(version)


def test_an_unreachable_database_is_transient_and_gives_the_claim_back(publish, monkeypatch):
    from packages_app.indexing import service

    version = publish()

    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(service, "_write_entries", database_down)
    with pytest.raises(TransientIndexingError):
        index_version(version_id=version.id)
    version.refresh_from_db()
    assert version.index_status == IndexStatus.UNKNOWN
    assert "will retry" in version.index_error


def test_unreadable_storage_is_transient(publish, monkeypatch):
    version = publish()
    storage = type(storages["artifacts"])

    def storage_down(self, name, mode="rb"):
        raise ConnectionError("storage unreachable")

    monkeypatch.setattr(storage, "open", storage_down)
    with pytest.raises(TransientIndexingError, match="storage could not be read"):
        index_version(version_id=version.id)


def test_an_unexpected_error_fails_the_version_with_a_readable_message(publish, monkeypatch):
    from packages_app.indexing import service

    version = publish()
    monkeypatch.setattr(service, "extract_entries", lambda fileobj: 1 / 0)
    assert index_version(version_id=version.id) == "failed"
    version.refresh_from_db()
    assert version.index_error.startswith("indexing failed unexpectedly (ZeroDivisionError")


def test_the_task_retries_transient_errors_and_finally_marks_the_version_failed(publish, monkeypatch):
    from packages_app import indexing
    from packages_app.tasks import index_version_task

    version = publish()
    calls = []

    def always_down(*, version_id, task_id=""):
        calls.append(version_id)
        raise indexing.TransientIndexingError("storage could not be read: timeout")

    monkeypatch.setattr(indexing, "index_version", always_down)
    index_version_task.apply(args=[version.id])  # eager: each retry runs at once
    version.refresh_from_db()
    assert len(calls) == index_version_task.max_retries + 1
    assert version.index_status == IndexStatus.FAILED
    assert version.index_error.startswith("gave up after 7 attempts: storage could not be read: timeout")


def test_parsing_a_big_archive_reads_members_as_streams(publish):
    import random

    rows = "".join(f"{random.random()},{random.random()}\n" for _ in range(200_000)).encode()
    big = zip_bytes(manifest_files(**{"data/big.csv": b"a,b\n" + rows}))
    version = publish(big)
    assert index_version(version_id=version.id) == "indexed"
    (data,) = entries(version, IndexKind.DATA)
    assert data.data["size"] == 4 + len(rows) > 4 * 1024 * 1024
    assert "columns" not in data.data  # too large to read as text: listed, not parsed


def test_extract_works_on_any_seekable_file():
    from packages_app.indexing.extract import extract_entries

    drafts = extract_entries(io.BytesIO(rich_archive()))
    assert {draft.kind for draft in drafts} >= {"file", "manifest", "model", "source", "notebook", "cell", "data"}


def test_a_task_past_its_soft_time_limit_fails_the_version_with_the_limit(publish, monkeypatch, settings):
    from celery.exceptions import SoftTimeLimitExceeded

    from packages_app.indexing import service

    def too_slow(fileobj):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(service, "extract_entries", too_slow)
    version = publish()
    assert index_version(version_id=version.id) == "failed"
    version.refresh_from_db()
    assert version.index_error.startswith(f"indexing took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} seconds")


def test_reindexing_a_large_tree_replaces_every_entry(publish, django_capture_on_commit_callbacks):
    version = publish(rich_archive())
    index_version(version_id=version.id)
    count = IndexEntry.objects.filter(version=version).count()
    with django_capture_on_commit_callbacks(execute=True):
        request_reindex(version_id=version.id)
    assert IndexEntry.objects.filter(version=version).count() == count
    assert (
        IndexEntry.objects.filter(version=version, parent__isnull=False).exclude(parent__version=version).count() == 0
    )


def test_a_component_package_published_by_the_v1_service_is_indexed_per_component(
    user, project, django_capture_on_commit_callbacks
):
    from components_app import services as components

    source = "export default defineComponent({\n  metadata: { title: 'Card' },\n  body: () => view([]),\n});\n"
    for name, kind in (("Card", "view"), ("Page", "layout")):
        components.create_component(project=project, name=name, type=kind, content=source, author=user)
    with django_capture_on_commit_callbacks(execute=True):
        result = components.publish_package(project=project, version="1.0.0", author=user)
    version = result.version
    version.refresh_from_db()
    assert version.index_status == IndexStatus.INDEXED
    found = {
        row.name: (row.data["type"], row.data["version"], row.data["present"]) for row in entries(version, "component")
    }
    assert found == {"Card": ("view", 1, True), "Page": ("layout", 1, True)}


def test_a_stale_claim_past_the_attempt_cap_is_not_taken_over(publish, settings):
    settings.INDEX_MAX_ATTEMPTS = 2
    version = publish()
    past = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    Version.objects.filter(pk=version.id).update(
        index_status=IndexStatus.INDEXING, index_started_at=past, index_attempts=2
    )
    assert index_version(version_id=version.id) == "skipped"
