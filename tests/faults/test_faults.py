"""Faults while publishing and downloading: the registry fails cleanly and recovers.

A broker (Redis) down during publish is covered by the real-worker test
``tests/indexing/test_real_worker.py::test_a_publish_while_the_broker_is_down_succeeds_and_the_sweeper_indexes_it_later``
(the publish stands, the sweeper indexes the version later); it is not repeated here. The shared cache
(the same Redis, in production) down is here: requests carry on without it.
"""

import errno
import hashlib
import os

import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import OperationalError
from django.test import override_settings

from packages_app.blobs import sweep_orphan_blobs
from packages_app.models import Artifact, Version
from tests.api_v0.conftest import BASE, archive_for, upload
from tests.factories import make_version

pytestmark = pytest.mark.django_db


def blob_files(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def test_a_database_failure_after_the_blob_is_written_leaves_no_version(
    as_modeler, package, artifact_storage_in_tmp, monkeypatch
):
    def connection_lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    # The blob and its artifact row are written before the version transaction; fail inside that one.
    monkeypatch.setattr("packages_app.publishing.record_dependencies", connection_lost)
    response = upload(as_modeler, version="1.0.0")

    assert response.status_code == 503
    assert response.json()["code"] == "DATABASE_UNAVAILABLE"
    assert response["Retry-After"]
    assert not Version.objects.exists()
    assert as_modeler.get(f"{BASE}/packages/ledger/versions/1.0.0").status_code == 404
    assert len(blob_files(artifact_storage_in_tmp)) == 1


def test_the_blob_of_a_failed_publish_is_swept_later(
    as_modeler, package, artifact_storage_in_tmp, monkeypatch, django_capture_on_commit_callbacks
):
    def connection_lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("packages_app.publishing.record_dependencies", connection_lost)
    upload(as_modeler, version="1.0.0")
    monkeypatch.undo()
    assert not Artifact.objects.exists()  # the row went with the transaction; the blob was written before
    assert len(blob_files(artifact_storage_in_tmp)) == 1

    assert sweep_orphan_blobs().blobs_deleted == []  # within the grace window: maybe still in flight
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_orphan_blobs(grace_seconds=0)

    assert len(report.blobs_deleted) == 1
    assert blob_files(artifact_storage_in_tmp) == []


def test_the_same_upload_succeeds_once_the_database_is_back(as_modeler, package, monkeypatch):
    def connection_lost(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("packages_app.publishing.record_dependencies", connection_lost)
    data = archive_for("1.0.0")
    upload(as_modeler, version="1.0.0", data=data)
    monkeypatch.undo()

    assert upload(as_modeler, version="1.0.0", data=data).status_code == 201
    assert Version.objects.get().artifact.sha256 == hashlib.sha256(data).hexdigest()


@pytest.fixture
def storage_down(monkeypatch):
    """Every storage location fails to open a file, as a store behind a dead network link does."""

    def unreachable(self, name, mode="rb"):
        raise ConnectionError("connect timeout on endpoint URL")

    monkeypatch.setattr(FileSystemStorage, "open", unreachable)


def test_a_download_while_storage_is_unreachable_is_503_in_the_v0_envelope(as_viewer, package, storage_down):
    make_version(package, "1.0.0")
    response = as_viewer.get(f"{BASE}/packages/ledger/versions/1.0.0/download")

    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "STORAGE_UNAVAILABLE"
    assert body["message"]


def test_a_conditional_download_is_still_answered_while_storage_is_unreachable(as_viewer, package, storage_down):
    version = make_version(package, "1.0.0")
    response = as_viewer.get(
        f"{BASE}/packages/ledger/versions/1.0.0/download", HTTP_IF_NONE_MATCH=f'"{version.artifact.sha256}"'
    )
    assert response.status_code == 304


@pytest.fixture
def upload_temp_dir(settings, tmp_path):
    folder = tmp_path / "uploads-in-flight"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


@pytest.fixture
def disk_fills_after(monkeypatch):
    """The temporary file of an upload accepts ``limit`` bytes, then every write fails with ENOSPC."""

    def install(limit: int):
        written = {"bytes": 0}

        def write_until_full(self):
            real_write = self.file.write

            def write(data):
                if written["bytes"] + len(data) > limit:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                written["bytes"] += len(data)
                return real_write(data)

            return write

        monkeypatch.setattr(TemporaryUploadedFile, "write", property(write_until_full), raising=False)

    return install


def test_a_full_disk_while_receiving_an_upload_is_507_insufficient_storage(
    as_modeler, package, upload_temp_dir, disk_fills_after
):
    disk_fills_after(10)
    response = upload(as_modeler, version="1.0.0", data=os.urandom(3 * 1024 * 1024))

    assert response.status_code == 507
    assert response.json()["code"] == "INSUFFICIENT_STORAGE"
    assert not Version.objects.exists()


def test_a_full_disk_while_receiving_an_upload_removes_the_temporary_file(
    as_modeler, package, upload_temp_dir, disk_fills_after
):
    disk_fills_after(1024 * 1024 + 10)  # the first chunk lands, the second does not
    upload(as_modeler, version="1.0.0", data=os.urandom(3 * 1024 * 1024))

    assert list(upload_temp_dir.iterdir()) == []


def test_a_full_disk_while_storing_the_blob_is_507_and_leaves_no_version(as_modeler, package, monkeypatch):
    def save(self, name, content, max_length=None):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(type(storages["artifacts"]), "save", save)
    response = upload(as_modeler, version="1.0.0")

    assert response.status_code == 507
    assert response.json()["code"] == "INSUFFICIENT_STORAGE"
    assert not Version.objects.exists()


@pytest.fixture
def shared_cache_down():
    """The production cache (django-redis, errors ignored and logged) at an address where nothing listens.

    Undone when the test ends, before the suite's own cache clean-up runs.
    """
    unreachable = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5, "IGNORE_EXCEPTIONS": True},
    }
    with override_settings(CACHES={"default": unreachable}):
        yield


def test_a_publish_while_the_shared_cache_is_down_succeeds(as_modeler, package, shared_cache_down, caplog):
    response = upload(as_modeler, version="1.0.0")
    assert response.status_code == 201
    assert Version.objects.filter(package=package, version="1.0.0").exists()
    assert "Exception ignored" in caplog.text  # the rate limit's count, logged and skipped


def test_reads_while_the_shared_cache_is_down_are_answered_with_no_rate_limit(
    as_viewer, package, shared_cache_down, monkeypatch
):
    from registry.throttling import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "1/minute", "anon": "1/minute"})
    make_version(package, "1.0.0")
    for _ in range(3):  # past the rate: nothing can count it, so it fails open
        response = as_viewer.get(f"{BASE}/packages/ledger")
        assert response.status_code == 200
        assert response.json()["latestVersion"] == "1.0.0"
