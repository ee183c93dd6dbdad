"""Filesystem storage for artifacts whose files appear whole or not at all.

Django's ``FileSystemStorage`` streams a new file into place chunk by chunk, so until the last chunk a
reader, or another upload of the same bytes checking whether the content address is already filled,
sees a partial file there (and a crash leaves one behind). Here each file is first written under a
private ``.partial-*`` name in the same directory (an upload's temporary file is still moved, not
copied) and then hard-linked to its name: atomic, and never replacing an existing file, which keeps
Django's contract of picking another name when the one asked for is taken. A ``.partial-*`` file left
by a crash has no artifact row, so the orphan sweep removes it.
"""

import contextlib
import os
import posixpath
import uuid

from django.core.files.storage import FileSystemStorage

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
