"""The orphan sweep removes what failed uploads leave behind, and nothing else."""

import io
import os
import time

import pytest
from django.core.management import call_command

from packages_app.blobs import digest_stream, store_artifact, sweep_orphan_blobs
from packages_app.models import Artifact, Version, artifact_key
from packages_app.tasks import ORPHAN_SWEEP_LOCK_KEY, sweep_orphan_blobs_task
from tests.api_v0.conftest import archive_for, upload

pytestmark = pytest.mark.django_db


def stored(data: bytes) -> Artifact:
    stream = io.BytesIO(data)
    return store_artifact(stream=stream, digests=digest_stream(stream))


def age(path, seconds: int) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_the_losing_bytes_of_a_409_are_swept_and_the_winner_is_kept(
    as_modeler, project, artifact_storage_in_tmp, django_capture_on_commit_callbacks
):
    upload(as_modeler, version="1.0.0")
    loser = archive_for("1.0.0", description="other bytes")
    assert upload(as_modeler, version="1.0.0", data=loser).status_code == 409
    winner = Version.objects.get().artifact
    # The loser's row went with its transaction; its blob, written before, is left for the sweep.
    assert list(Artifact.objects.all()) == [winner]
    assert len([p for p in artifact_storage_in_tmp.rglob("*") if p.is_file()]) == 2
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_orphan_blobs(grace_seconds=0)
    assert list(Artifact.objects.all()) == [winner]
    assert len(report.blobs_deleted) == 1
    files = [p for p in artifact_storage_in_tmp.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [winner.sha256]


def test_an_orphan_younger_than_the_grace_window_is_kept(artifact_storage_in_tmp):
    orphan = stored(b"in flight")
    report = sweep_orphan_blobs(grace_seconds=3600)
    assert report.artifacts_deleted == []
    assert Artifact.objects.filter(pk=orphan.pk).exists()


def test_a_blob_with_no_artifact_row_is_swept_once_old_enough(artifact_storage_in_tmp):
    blob = artifact_storage_in_tmp / artifact_key("ab" * 32)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"left by a crash")
    assert sweep_orphan_blobs(grace_seconds=60).blobs_deleted == []
    age(blob, 120)
    assert sweep_orphan_blobs(grace_seconds=60).blobs_deleted == [artifact_key("ab" * 32)]
    assert not blob.exists()


def test_a_referenced_artifact_is_never_swept(package, artifact_storage_in_tmp):
    from tests.factories import make_version

    version = make_version(package, "1.0.0")
    for path in artifact_storage_in_tmp.rglob("*"):
        age(path, 10_000)
    report = sweep_orphan_blobs(grace_seconds=0)
    assert report.artifacts_deleted == report.blobs_deleted == []
    assert (artifact_storage_in_tmp / version.artifact.file.name).exists()


def test_a_dry_run_deletes_nothing(artifact_storage_in_tmp):
    orphan = stored(b"orphan")
    report = sweep_orphan_blobs(grace_seconds=0, dry_run=True)
    assert report.artifacts_deleted == [orphan.sha256]
    assert Artifact.objects.filter(pk=orphan.pk).exists()
    assert (artifact_storage_in_tmp / orphan.file.name).exists()


def test_the_management_command_reports_what_it_deleted(artifact_storage_in_tmp, capsys):
    orphan = stored(b"orphan")
    call_command("sweep_orphan_blobs", "--grace-seconds", "0")
    assert f"deleted artifact sha256:{orphan.sha256}" in capsys.readouterr().out
    assert not Artifact.objects.exists()


def test_the_task_does_not_run_while_another_sweep_holds_the_lock(artifact_storage_in_tmp):
    from django.core.cache import cache

    stored(b"orphan")
    cache.add(ORPHAN_SWEEP_LOCK_KEY, "running")
    try:
        assert sweep_orphan_blobs_task() == {"skippedOverlap": True}
    finally:
        cache.delete(ORPHAN_SWEEP_LOCK_KEY)
    assert Artifact.objects.exists()


def test_a_publish_whose_artifact_the_sweep_removes_mid_flight_is_503_and_stores_no_version(
    as_modeler, project, monkeypatch
):
    # The insert met an existing row, which the sweep deleted before our lock could take it (its blob
    # goes too): the publish must not reference it.
    from packages_app import blobs

    monkeypatch.setattr(blobs, "insert_unless_conflict", lambda instance, **kwargs: False)
    response = upload(as_modeler, version="1.0.0")
    assert response.status_code == 503
    assert response.json()["code"] == "ARTIFACT_GONE"
    assert not Version.objects.exists()
