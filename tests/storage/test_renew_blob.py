"""A blob reused from storage is renewed, so the orphan sweep leaves it alone while an upload uses it."""

import io
import os
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from packages_app import blobs
from packages_app.blobs import digest_stream, store_blob
from packages_app.models import artifact_key
from packages_app.storage import renew_blob

pytestmark = pytest.mark.django_db

DATA = b"PK\x03\x04 reused bytes"


def aged(path, seconds: int = 7200) -> float:
    """Set the file's modification time ``seconds`` back; returns that time."""
    past = time.time() - seconds
    os.utime(path, (past, past))
    return past


def test_renewing_a_file_blob_makes_it_new_again(artifact_storage_in_tmp):
    storage = storages["artifacts"]
    storage.save("sha256/ab/blob", ContentFile(DATA))
    old = aged(storage.path("sha256/ab/blob"))
    assert renew_blob(storage, "sha256/ab/blob") is True
    assert os.path.getmtime(storage.path("sha256/ab/blob")) > old


def test_renewing_a_missing_file_blob_says_it_is_gone(artifact_storage_in_tmp):
    assert renew_blob(storages["artifacts"], "sha256/ab/none") is False


def test_an_upload_finding_its_blob_in_place_renews_it(artifact_storage_in_tmp):
    digests = digest_stream(io.BytesIO(DATA))
    key = artifact_key(digests.sha256)
    storages["artifacts"].save(key, ContentFile(DATA))
    old = aged(storages["artifacts"].path(key))
    assert store_blob(stream=io.BytesIO(DATA), key=key, size=digests.size) is False
    assert os.path.getmtime(storages["artifacts"].path(key)) > old


def test_a_blob_deleted_between_the_look_and_the_renewal_is_written_again(artifact_storage_in_tmp, monkeypatch):
    storage = storages["artifacts"]
    digests = digest_stream(io.BytesIO(DATA))
    key = artifact_key(digests.sha256)
    storage.save(key, ContentFile(DATA))

    def swept_meanwhile(storage, name):
        storage.delete(name)
        return False

    monkeypatch.setattr(blobs, "renew_blob", swept_meanwhile)
    assert store_blob(stream=io.BytesIO(DATA), key=key, size=digests.size) is True
    with storage.open(key, "rb") as handle:
        assert handle.read() == DATA


def test_renewing_an_s3_blob_keeps_its_bytes_and_content_type(s3_storages):
    client, buckets = s3_storages
    storage = storages["artifacts"]
    client.put_object(Bucket=buckets["artifacts"], Key="sha256/ab/blob", Body=DATA, ContentType="application/zip")
    before = client.head_object(Bucket=buckets["artifacts"], Key="sha256/ab/blob")["LastModified"]
    time.sleep(1.1)  # LastModified has a resolution of one second
    assert renew_blob(storage, "sha256/ab/blob") is True
    after = client.head_object(Bucket=buckets["artifacts"], Key="sha256/ab/blob")
    assert after["LastModified"] > before
    assert after["ContentType"] == "application/zip"
    assert client.get_object(Bucket=buckets["artifacts"], Key="sha256/ab/blob")["Body"].read() == DATA


def test_renewing_a_missing_s3_blob_says_it_is_gone(s3_storages):
    assert renew_blob(storages["artifacts"], "sha256/ab/none") is False
