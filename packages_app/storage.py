"""Filesystem storage for artifacts whose files appear whole or not at all.

Django's ``FileSystemStorage`` streams a new file into place chunk by chunk, so until the last chunk a
reader, or another upload of the same bytes checking whether the content address is already filled,
sees a partial file there (and a crash leaves one behind). Here each file is first written under a
private ``.partial-*`` name in the same directory (an upload's temporary file is still moved, not
copied) and then hard-linked to its name: atomic, and never replacing an existing file, which keeps
Django's contract of picking another name when the one asked for is taken. A ``.partial-*`` file left
by a crash has no artifact row, so the orphan sweep removes it.

``renew_blob`` works on any artifact storage: an upload reusing a blob already in place renews it, so
the sweep cannot take it while the upload's transaction is still open.
"""

import contextlib
import os
import posixpath
import uuid

from botocore.exceptions import ClientError
from django.core.files.storage import FileSystemStorage
from storages.utils import clean_name, safe_join

PARTIAL_PREFIX = ".partial-"


class AtomicFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        directory, filename = posixpath.split(name)
        partial_name = posixpath.join(directory, f"{PARTIAL_PREFIX}{uuid.uuid4().hex}-{filename}")
        try:
            partial = super()._save(partial_name, content)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):  # a full disk's half file goes at once
                os.unlink(self.path(partial_name))
            raise
        partial_path = self.path(partial)
        try:
            while True:
                try:
                    os.link(partial_path, self.path(name))
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
        finally:
            os.unlink(partial_path)
        return str(name).replace("\\", "/")


def renew_blob(storage, name: str) -> bool:
    """Make the blob at ``name`` new again as the orphan sweep sees it; False when it is gone.

    A blob found in place may be an old orphan (what a failed publish leaves), which the sweep removes
    once it is older than the grace window and no committed row names it. A caller about to reference
    it from a transaction the sweep cannot see yet renews it first: the sweep then leaves it alone for
    another grace window, and a blob deleted since the caller looked is reported, to be written again.
    Filesystem storages set the file's mtime; S3 copies the object onto itself (which sets its
    LastModified); other storages cannot renew and answer True.
    """
    if isinstance(storage, FileSystemStorage):
        try:
            os.utime(storage.path(name))
        except FileNotFoundError:
            return False
        return True
    bucket = getattr(storage, "bucket", None)
    if bucket is None:
        return True
    # The object's key as the S3 storage makes it: its LOCATION prefix joined to the name.
    key = safe_join(storage.location, clean_name(name))
    blob = bucket.Object(key)
    try:
        blob.load()
        blob.copy_from(
            CopySource={"Bucket": bucket.name, "Key": key},
            MetadataDirective="REPLACE",  # S3 refuses a copy onto itself that changes nothing
            ContentType=blob.content_type,
            Metadata=blob.metadata,
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True
