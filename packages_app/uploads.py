"""Streaming upload handling: every uploaded file goes to a temporary file while md5 and sha256 are computed.

Django's multipart parser hands each chunk to :class:`DigestingUploadHandler`, which writes it to a
temporary file and feeds both hashers in the same pass, so the archive is never held whole in memory and
never read twice to be hashed. Past ``settings.REGISTRY_MAX_UPLOAD_BYTES`` the partial temporary file is
closed (which removes it) and the request fails with ``413 PAYLOAD_TOO_LARGE``; a full disk likewise
removes it and fails with ``507 INSUFFICIENT_STORAGE``.
"""

import errno
import hashlib

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from packages_app.blobs import Digests
from registry.errors import RegistryError

# Bigger chunks than Django's 64 KiB mean fewer Python-level iterations per upload (throughput).
UPLOAD_CHUNK_SIZE = 1024 * 1024


def payload_too_large(limit: int) -> RegistryError:
    return RegistryError(
        "PAYLOAD_TOO_LARGE",
        f"The package file is larger than the {limit} byte limit.",
        status=413,
        details={"maxBytes": limit},
    )


DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


def insufficient_storage() -> RegistryError:
    return RegistryError(
        "INSUFFICIENT_STORAGE",
        "The server has no room to receive the package file right now; try again later.",
        status=507,
    )


class DigestingUploadHandler(TemporaryFileUploadHandler):
    """Temporary-file upload handler that also computes md5, sha256 and size, and enforces the size limit.

    The completed file carries ``digests`` (:class:`packages_app.services.Digests`).
    """

    chunk_size = UPLOAD_CHUNK_SIZE

    def __init__(self, request=None, *, max_bytes: int | None = None):
        super().__init__(request)
        self.max_bytes = settings.REGISTRY_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # A body this much bigger than the limit cannot hold an acceptable file: refuse before reading it.
        # (The slack covers the other multipart parts and headers.)
        if content_length and content_length > self.max_bytes + 1024 * 1024:
            raise payload_too_large(self.max_bytes)
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5()
        self._size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self._size += len(raw_data)
        if self._size > self.max_bytes:
            self.discard()
            raise payload_too_large(self.max_bytes)
        self._sha256.update(raw_data)
        self._md5.update(raw_data)
        try:
            self.file.write(raw_data)
        except OSError as exc:
            if exc.errno not in DISK_FULL_ERRNOS:
                raise
            self.discard()  # a partial file would only make the full disk fuller
            raise insufficient_storage() from exc
        return None

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        uploaded = super().file_complete(file_size)
        uploaded.digests = Digests(sha256=self._sha256.hexdigest(), md5=self._md5.hexdigest(), size=self._size)
        return uploaded

    def upload_interrupted(self):
        self.discard()

    def discard(self) -> None:
        """Close the partial temporary file, which deletes it."""
        file = getattr(self, "file", None)
        if file is not None and not file.closed:
            file.close()
