"""A blob at a content address is whole or absent: partial writes are removed and never trusted."""

import errno
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from packages_app.blobs import digest_stream, store_artifact
from packages_app.models import artifact_key

pytestmark = pytest.mark.django_db

DATA = b"PK\x03\x04" + b"archive bytes " * 1000


def test_a_write_that_fails_midway_leaves_nothing_at_the_content_address(monkeypatch):
    storage = storages["artifacts"]
    digests = digest_stream(io.BytesIO(DATA))
    key = artifact_key(digests.sha256)
    real_save = storage._save

    def fill_the_disk(name, content):
        real_save(name, ContentFile(DATA[:100]))  # what a full disk leaves behind
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "_save", fill_the_disk)
    with pytest.raises(OSError, match="No space left"):
        store_artifact(stream=io.BytesIO(DATA), digests=digests)
    assert not storage.exists(key)


def test_a_partial_blob_left_by_a_crash_is_replaced_by_the_next_upload_of_those_bytes():
    storage = storages["artifacts"]
    digests = digest_stream(io.BytesIO(DATA))
    key = artifact_key(digests.sha256)
    storage.save(key, ContentFile(DATA[:100]))
    store_artifact(stream=io.BytesIO(DATA), digests=digests)
    with storage.open(key, "rb") as handle:
        assert handle.read() == DATA
