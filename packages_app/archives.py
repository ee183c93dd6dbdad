"""Safe reading of uploaded package archives (zip and tar.gz) without extracting them to disk.

Archive layout
--------------
A package archive holds ``publisher.json`` (a JSON object) at its root, next to the package's files:
``*.malloy`` models, ``*.malloynb`` notebooks, data files (``.csv``, ``.parquet``, ``.xlsx``, ``.json``),
``dashboards/`` and ``public/``. A component package additionally lists its components in
``publisher.json`` as ``"components": [{"name": ..., "type": "view" | "layout", "version": ...}]`` and
stores each component's source as ``components/<name>.<ext>``.

Every entry is checked before any of its bytes are trusted: absolute paths, ``..`` components, symbolic
and hard links, device/fifo/socket entries, duplicate paths and encrypted entries are refused, and the
entry count, the total uncompressed size and the compression ratio are capped (settings
``ARCHIVE_MAX_ENTRIES``, ``ARCHIVE_MAX_TOTAL_SIZE``, ``ARCHIVE_MAX_COMPRESSION_RATIO``). Every refusal,
and every truncated or corrupt archive, is a ``RegistryError("INVALID_ARCHIVE", <a sentence naming the
entry>, status=400)``.
"""

from __future__ import annotations

import json
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings

from registry.errors import RegistryError

MANIFEST_NAME = "publisher.json"
# publisher.json is metadata; anything larger is not a manifest a person wrote.
MANIFEST_MAX_SIZE = 1024 * 1024
CHUNK_SIZE = 64 * 1024

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
GZIP_MAGIC = b"\x1f\x8b"

# Errors the archive libraries raise on truncated or corrupt input.
_CORRUPT_ERRORS = (
    zipfile.BadZipFile,
    tarfile.TarError,
    EOFError,
    zlib.error,
    ValueError,
    OSError,
    NotImplementedError,  # zipfile: a compression method byte it does not know
    RuntimeError,  # zipfile: "password required" and similar refusals
    TypeError,  # tarfile's stream reader on a gzip header cut short (ord() of an empty read)
)
# Compression methods a zip entry may use: the ones Python's zipfile can read.
ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


def invalid_archive(message: str, **details: Any) -> RegistryError:
    return RegistryError("INVALID_ARCHIVE", message, status=400, details=details)


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 10_000
    max_total_size: int = 1024**3
    max_ratio: int = 200
    # Tiny repetitive files compress far beyond any ratio; bombs are large, so small entries are exempt.
    ratio_min_size: int = 1024 * 1024

    @classmethod
    def from_settings(cls) -> ArchiveLimits:
        return cls(
            max_entries=getattr(settings, "ARCHIVE_MAX_ENTRIES", cls.max_entries),
            max_total_size=getattr(settings, "ARCHIVE_MAX_TOTAL_SIZE", cls.max_total_size),
            max_ratio=getattr(settings, "ARCHIVE_MAX_COMPRESSION_RATIO", cls.max_ratio),
            ratio_min_size=getattr(settings, "ARCHIVE_RATIO_MIN_SIZE", cls.ratio_min_size),
        )


class _GuardedStream:
    """A member's stream whose corruption errors surface as INVALID_ARCHIVE where the caller reads."""

    def __init__(self, stream: IO[bytes], path: str):
        self._stream = stream
        self._path = path

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except _CORRUPT_ERRORS as exc:
            raise invalid_archive(f"entry {self._path} is truncated or corrupt ({exc})", entry=self._path) from exc


@dataclass(frozen=True)
class ArchiveFile:
    """One regular file of an archive; ``stream`` is readable only while the iteration is on it."""

    path: str
    size: int
    stream: _GuardedStream

    def chunks(self) -> Iterator[bytes]:
        while chunk := self.stream.read(CHUNK_SIZE):
            yield chunk


def safe_path(raw_name: str) -> str:
    """The entry's normalised relative path, or INVALID_ARCHIVE when it could land outside the root."""
    name = raw_name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise invalid_archive(f"entry {raw_name} has an absolute path", entry=raw_name)
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise invalid_archive(f"entry {raw_name} escapes the archive root", entry=raw_name)
    if any("\x00" in part for part in parts):
        raise invalid_archive(f"entry {raw_name!r} has a NUL byte in its name", entry=raw_name)
    return "/".join(parts)


class _Checker:
    """Applies the per-entry rules and the running caps while an archive is walked."""

    def __init__(self, limits: ArchiveLimits):
        self.limits = limits
        self.seen: set[str] = set()
        self.entries = 0
        self.total_size = 0

    def entry(self, raw_name: str, size: int) -> str:
        path = safe_path(raw_name)
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise invalid_archive(
                f"the archive has more than {self.limits.max_entries} entries", limit=self.limits.max_entries
            )
        key = path.rstrip("/")
        if key in self.seen:
            raise invalid_archive(f"entry {raw_name} appears more than once", entry=raw_name)
        self.seen.add(key)
        self.total_size += max(size, 0)
        if self.total_size > self.limits.max_total_size:
            raise invalid_archive(
                f"the archive unpacks to more than {self.limits.max_total_size} bytes",
                limit=self.limits.max_total_size,
            )
        return path

    def ratio(self, raw_name: str, size: int, compressed: int) -> None:
        if size >= self.limits.ratio_min_size and size > self.limits.max_ratio * max(compressed, 1):
            raise invalid_archive(
                f"entry {raw_name} expands more than {self.limits.max_ratio}:1 (a compression bomb?)",
                entry=raw_name,
                limit=self.limits.max_ratio,
            )


def detect_format(fileobj: IO[bytes]) -> str:
    fileobj.seek(0)
    head = fileobj.read(4)
    fileobj.seek(0)
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(GZIP_MAGIC):
        return "tar.gz"
    raise invalid_archive("the package file is neither a zip nor a tar.gz archive")


def _zip_mode(info: zipfile.ZipInfo) -> int:
    # Unix permissions live in the high 16 bits when the archive was made on a Unix system.
    return info.external_attr >> 16 if info.create_system == 3 else 0


def _declared_zip_entries(fileobj: IO[bytes]) -> int | None:
    """The entry count in the end-of-central-directory record, read before the directory itself."""
    record = zipfile._EndRecData(fileobj)  # the stdlib's own reader; ZipFile would load every entry first
    fileobj.seek(0)
    return record[zipfile._ECD_ENTRIES_TOTAL] if record else None


def _iter_zip(fileobj: IO[bytes], checker: _Checker) -> Iterator[ArchiveFile]:
    declared = _declared_zip_entries(fileobj)
    if declared is not None and declared > checker.limits.max_entries:
        raise invalid_archive(
            f"the archive has more than {checker.limits.max_entries} entries", limit=checker.limits.max_entries
        )
    with zipfile.ZipFile(fileobj) as archive:
        infos = archive.infolist()
        # The central directory gives every header up front: refuse the archive before reading data.
        regular: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            path = checker.entry(info.filename, info.file_size)
            mode = _zip_mode(info)
            if stat.S_ISLNK(mode):
                raise invalid_archive(f"entry {info.filename} is a symbolic link", entry=info.filename)
            if mode and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
                raise invalid_archive(f"entry {info.filename} is a device or fifo", entry=info.filename)
            if info.flag_bits & 0x1:
                raise invalid_archive(f"entry {info.filename} is encrypted", entry=info.filename)
            if info.compress_type not in ZIP_METHODS:
                raise invalid_archive(
                    f"entry {info.filename} uses an unsupported compression method ({info.compress_type})",
                    entry=info.filename,
                )
            checker.ratio(info.filename, info.file_size, info.compress_size)
            if not info.is_dir():
                regular.append((info, path))
        for info, path in regular:
            # ZipExtFile stops at the declared size and checks the CRC, so a lying header fails here.
            with archive.open(info) as stream:
                yield ArchiveFile(path=path, size=info.file_size, stream=_GuardedStream(stream, path))


def _iter_tar(fileobj: IO[bytes], checker: _Checker, compressed_size: int) -> Iterator[ArchiveFile]:
    # Stream mode ("r|gz") reads the archive once, front to back, without seeking or temporary files.
    with tarfile.open(fileobj=fileobj, mode="r|gz") as archive:
        for member in archive:
            path = checker.entry(member.name, member.size if member.isfile() else 0)
            if member.issym() or member.islnk():
                kind = "symbolic" if member.issym() else "hard"
                raise invalid_archive(f"entry {member.name} is a {kind} link to {member.linkname}", entry=member.name)
            if member.ischr() or member.isblk() or member.isfifo():
                raise invalid_archive(f"entry {member.name} is a device or fifo", entry=member.name)
            if member.isdir():
                continue
            if not member.isfile():
                raise invalid_archive(f"entry {member.name} is not a regular file", entry=member.name)
            # gzip compresses the whole stream, so the ratio is checked for everything unpacked so far.
            checker.ratio(member.name, checker.total_size, compressed_size)
            stream = archive.extractfile(member)
            if stream is None:  # pragma: no cover - regular files always have a stream
                continue
            yield ArchiveFile(path=path, size=member.size, stream=_GuardedStream(stream, path))


def _stream_size(fileobj: IO[bytes]) -> int:
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def iter_archive(fileobj: IO[bytes], *, limits: ArchiveLimits | None = None) -> Iterator[ArchiveFile]:
    """Yield each regular file of a zip or tar.gz archive, refusing unsafe or oversized archives.

    ``fileobj`` must be seekable (an uploaded file or a storage file). Each yielded file's ``stream`` must
    be consumed before the next one is requested.
    """
    limits = limits or ArchiveLimits.from_settings()
    checker = _Checker(limits)
    archive_format = detect_format(fileobj)
    try:
        if archive_format == "zip":
            yield from _iter_zip(fileobj, checker)
        else:
            yield from _iter_tar(fileobj, checker, _stream_size(fileobj))
    except RegistryError:
        raise
    except _CORRUPT_ERRORS as exc:
        raise invalid_archive(f"the {archive_format} archive is truncated or corrupt ({exc})") from exc


def parse_manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid_archive(f"{MANIFEST_NAME} is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict):
        raise invalid_archive(f"{MANIFEST_NAME} must be a JSON object")
    return manifest


def read_manifest(fileobj: IO[bytes]) -> dict:
    """Check a whole archive's entries and return its root ``publisher.json`` as a dict.

    Raises INVALID_ARCHIVE (400) when the file is not a zip or tar.gz, an entry is unsafe or a cap is
    exceeded, there is no ``publisher.json`` at the root, or it is not a JSON object. The file is
    rewound afterwards, so the caller can store it.
    """
    manifest_bytes: bytes | None = None
    try:
        for entry in iter_archive(fileobj):
            if entry.path == MANIFEST_NAME:
                if entry.size > MANIFEST_MAX_SIZE:
                    raise invalid_archive(f"{MANIFEST_NAME} is larger than {MANIFEST_MAX_SIZE} bytes")
                manifest_bytes = entry.stream.read(MANIFEST_MAX_SIZE + 1)
            # Other entries are not read: zip headers are all checked up front, and tar skips their data.
    finally:
        fileobj.seek(0)
    if manifest_bytes is None:
        raise invalid_archive(f"the archive has no {MANIFEST_NAME} at its root")
    return parse_manifest(manifest_bytes)
