"""The streaming upload handler: one pass computes md5 and sha256 while writing to a temporary file."""

import hashlib
import os

import pytest

from packages_app.uploads import DigestingUploadHandler
from registry.errors import RegistryError


def feed(handler: DigestingUploadHandler, data: bytes, chunk: int = 7):
    handler.new_file("packageFile", "package.zip", "application/zip", len(data))
    for start in range(0, len(data), chunk):
        handler.receive_data_chunk(data[start : start + chunk], start)
    return handler.file_complete(len(data))


def test_the_completed_file_carries_the_digests_of_its_bytes(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    data = os.urandom(100_000)
    uploaded = feed(DigestingUploadHandler(max_bytes=len(data)), data, chunk=4096)
    assert uploaded.digests.sha256 == hashlib.sha256(data).hexdigest()
    assert uploaded.digests.md5 == hashlib.md5(data).hexdigest()
    assert uploaded.digests.size == len(data)
    assert uploaded.read() == data
    assert os.path.dirname(uploaded.temporary_file_path()) == str(tmp_path)
    uploaded.close()


def test_passing_the_limit_removes_the_partial_file_and_raises_413(settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    handler = DigestingUploadHandler(max_bytes=10)
    with pytest.raises(RegistryError) as raised:
        feed(handler, b"x" * 11, chunk=4)
    assert (raised.value.status, raised.value.code) == (413, "PAYLOAD_TOO_LARGE")
    assert list(tmp_path.iterdir()) == []


def test_the_limit_defaults_to_the_setting(settings):
    settings.REGISTRY_MAX_UPLOAD_BYTES = 1234
    assert DigestingUploadHandler().max_bytes == 1234
