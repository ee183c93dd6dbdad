"""The artifact filesystem storage: a file appears whole at its name or not at all, and never replaces one."""

import io
import os
import threading
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.storage import storages
from django.core.files.uploadedfile import TemporaryUploadedFile

from packages_app.blobs import digest_stream, store_blob, sweep_orphan_blobs
from packages_app.models import artifact_key
from packages_app.storage import PARTIAL_PREFIX

pytestmark = pytest.mark.django_db


class SlowContent(File):
    """Content whose chunks are written one at a time, with a look at the target name in between."""

    def __init__(self, storage, name, chunks):
        super().__init__(io.BytesIO(b"".join(chunks)), name="slow")
        self.storage, self.target, self.parts, self.seen_mid_write = storage, name, chunks, []

    def chunks(self, chunk_size=None):
        for part in self.parts:
            yield part
            self.seen_mid_write.append(self.storage.exists(self.target))


def _leftovers(root):
    return [name for _, _, files in os.walk(root) for name in files if name.startswith(PARTIAL_PREFIX)]


def test_a_file_is_not_visible_at_its_name_until_it_is_complete(tmp_path):
    storage = storages["artifacts"]
    content = SlowContent(storage, "sha256/ab/cd/blob", [b"a" * 10, b"b" * 10, b"c" * 10])
    assert storage.save("sha256/ab/cd/blob", content) == "sha256/ab/cd/blob"
    assert content.seen_mid_write == [False, False, False]
    with storage.open("sha256/ab/cd/blob", "rb") as handle:
        assert handle.read() == b"a" * 10 + b"b" * 10 + b"c" * 10
    assert _leftovers(storage.location) == []


def test_saving_to_a_taken_name_keeps_the_existing_file_and_answers_another_name():
    storage = storages["artifacts"]
    storage.save("sha256/taken", ContentFile(b"first"))
    other = storage.save("sha256/taken", ContentFile(b"second"))
    assert other != "sha256/taken"
    with storage.open("sha256/taken", "rb") as handle:
        assert handle.read() == b"first"
    assert _leftovers(storage.location) == []


def test_an_uploaded_temporary_file_is_moved_into_place_whole():
    storage = storages["artifacts"]
    upload = TemporaryUploadedFile("package.zip", "application/zip", 6, None)
    upload.write(b"zipped")
    upload.seek(0)
    assert storage.save("sha256/uploaded", upload) == "sha256/uploaded"
    with storage.open("sha256/uploaded", "rb") as handle:
        assert handle.read() == b"zipped"
    upload.close()


def test_twenty_threads_storing_the_same_new_bytes_leave_one_whole_blob_and_no_error():
    data = b"PK\x03\x04" + os.urandom(2_000_000)
    digests = digest_stream(io.BytesIO(data))
    key = artifact_key(digests.sha256)
    barrier, errors = threading.Barrier(20), []

    def store():
        barrier.wait()
        try:
            store_blob(stream=io.BytesIO(data), key=key, size=digests.size)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=store) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    storage = storages["artifacts"]
    with storage.open(key, "rb") as handle:
        assert handle.read() == data
    assert _leftovers(storage.location) == []


def test_the_orphan_sweep_removes_a_partial_file_left_by_a_crash():
    storage = storages["artifacts"]
    os.makedirs(os.path.join(storage.location, "sha256", "ab"), exist_ok=True)
    crashed = os.path.join(storage.location, "sha256", "ab", f"{PARTIAL_PREFIX}0123-deadbeef")
    with open(crashed, "wb") as handle:
        handle.write(b"half a blob")
    long_ago = (storage.get_modified_time(f"sha256/ab/{os.path.basename(crashed)}") - timedelta(days=2)).timestamp()
    os.utime(crashed, (long_ago, long_ago))
    report = sweep_orphan_blobs()
    assert f"sha256/ab/{os.path.basename(crashed)}" in report.blobs_deleted
    assert not os.path.exists(crashed)


def test_a_write_that_fails_midway_leaves_no_partial_file(monkeypatch):
    import errno

    from django.core.files.storage import FileSystemStorage

    storage = storages["artifacts"]
    real_save = FileSystemStorage._save

    def fill_the_disk(self, name, content):
        real_save(self, name, ContentFile(b"half"))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", fill_the_disk)
    with pytest.raises(OSError, match="No space left"):
        storage.save("sha256/ab/cd/full-disk", ContentFile(b"whole file"))
    assert not storage.exists("sha256/ab/cd/full-disk")
    assert _leftovers(storage.location) == []
