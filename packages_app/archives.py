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
``ARCHIVE_MAX_ENTRIES``, ``ARCHIVE_MAX_TOTAL_SIZE``, ``ARCHIVE_MAX_COMPRESSION_RATIO``).

The archive's own structures are bounded before the archive libraries load them, since they would
otherwise hold them whole in memory: a zip's central directory is counted against the entry cap before
``zipfile`` parses it, and a tar's header extensions (GNU long names and links, pax headers, sparse maps)
are refused above ``TAR_EXTENSION_MAX_SIZE``, at most ``TAR_EXTENSIONS_PER_ENTRY`` per entry. The bytes
gunzipped from a tar.gz are capped too (see ``_tar_stream_limit``). Every refusal, and every truncated or
corrupt archive, is a ``RegistryError("INVALID_ARCHIVE", <a sentence naming the
entry>, status=400)``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import stat
import struct
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
# A tar header extension (a GNU long name or link, a pax header, a sparse map) is read whole into memory
# by tarfile before the entry it describes is seen: paths are far shorter than this, so larger ones are
# refused. An entry has at most a few (a pax header, or a long name and a long link).
TAR_EXTENSION_MAX_SIZE = 64 * 1024
TAR_EXTENSIONS_PER_ENTRY = 8
# Tar bytes allowed per entry for its header and extensions, over and above the file data itself.
TAR_ENTRY_OVERHEAD = 8 * tarfile.BLOCKSIZE
# An entry's path, as stored and remembered for the duplicate check: PATH_MAX on Linux.
MAX_PATH_LENGTH = 4096
# The fixed 46-byte part of a zip central directory record, as zipfile reads it.
ZIP_CENTRAL_RECORD = struct.Struct(zipfile.structCentralDir)

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
        if len(raw_name) > MAX_PATH_LENGTH:
            raise invalid_archive(
                f"entry {raw_name[:100]}... has a name longer than {MAX_PATH_LENGTH} characters",
                entry=raw_name[:100],
                limit=MAX_PATH_LENGTH,
            )
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


def _too_many_entries(limits: ArchiveLimits) -> RegistryError:
    return invalid_archive(f"the archive has more than {limits.max_entries} entries", limit=limits.max_entries)


def _check_zip_directory(fileobj: IO[bytes], limits: ArchiveLimits) -> None:
    """Refuse a zip whose central directory holds more records than the entry cap, before ZipFile loads it.

    ZipFile parses every record of the central directory into a ZipInfo whatever count the end record
    declares, so both are checked: the declared count, then the records themselves, walked header by
    header (at most ``max_entries + 1`` of them, 46 bytes each, skipping names and extra fields) from where
    ZipFile will look for them.
    """
    # The stdlib's own end-record reader, ZIP64 included; ZipFile would load every entry first.
    record = zipfile._EndRecData(fileobj)
    try:
        if not record:
            return  # not a zip ZipFile can open: it says so itself
        if record[zipfile._ECD_ENTRIES_TOTAL] > limits.max_entries:
            raise _too_many_entries(limits)
        size = record[zipfile._ECD_SIZE]
        # Where ZipFile.__init__ starts reading the directory (data may have been prepended to the zip).
        start = record[zipfile._ECD_LOCATION] - size
        if record[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
            start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
        if start < 0:
            return
        fileobj.seek(start)
        position = records = 0
        while position < size:
            header = fileobj.read(ZIP_CENTRAL_RECORD.size)
            if len(header) != ZIP_CENTRAL_RECORD.size or header[:4] != zipfile.stringCentralDir:
                return  # ZipFile stops at the same place and refuses the archive
            records += 1
            if records > limits.max_entries:
                raise _too_many_entries(limits)
            fields = ZIP_CENTRAL_RECORD.unpack(header)
            variable = (
                fields[zipfile._CD_FILENAME_LENGTH]
                + fields[zipfile._CD_EXTRA_FIELD_LENGTH]
                + fields[zipfile._CD_COMMENT_LENGTH]
            )
            fileobj.seek(variable, 1)
            position += ZIP_CENTRAL_RECORD.size + variable
    finally:
        fileobj.seek(0)


def _iter_zip(fileobj: IO[bytes], checker: _Checker) -> Iterator[ArchiveFile]:
    _check_zip_directory(fileobj, checker.limits)
    with zipfile.ZipFile(fileobj) as archive:
        infos = archive.infolist()
        # The central directory gives every header up front: refuse the archive before reading data.
        regular: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            if not info.filename:
                raise invalid_archive("an entry has an empty name")
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


def _extension_too_large() -> RegistryError:
    return invalid_archive(
        f"a tar header extension is larger than {TAR_EXTENSION_MAX_SIZE // 1024} KiB",
        limit=TAR_EXTENSION_MAX_SIZE,
    )


class _ReadBudget:
    """A tar stream that refuses to give more than ``budget`` bytes (for tarfile's sparse-map readers)."""

    def __init__(self, stream: Any, budget: int):
        self._stream = stream
        self._left = budget

    def read(self, size: int) -> bytes:
        if size > self._left:
            raise _extension_too_large()
        data = self._stream.read(size)
        self._left -= len(data)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _BoundedTarInfo(tarfile.TarInfo):
    """A TarInfo that refuses oversized or stacked header extensions before tarfile reads them whole.

    tarfile reads a GNU long name/link (``_proc_gnulong``) or a pax header (``_proc_pax``) whole, and a sparse
    map (``_proc_sparse``, ``_proc_gnusparse_10``) block after block, before returning the entry they belong
    to; each extension reads the next header recursively, and global pax headers accumulate for the whole
    archive. So each extension is capped at TAR_EXTENSION_MAX_SIZE, the extensions in front of one entry at
    TAR_EXTENSIONS_PER_ENTRY, and the global pax headers at TAR_EXTENSION_MAX_SIZE in all.
    """

    def _extension(self, tarfile_: tarfile.TarFile) -> None:
        if self.size > TAR_EXTENSION_MAX_SIZE:
            raise _extension_too_large()
        stacked = tarfile_.__dict__.get("_registry_stacked_extensions", 0) + 1
        if stacked > TAR_EXTENSIONS_PER_ENTRY:
            raise invalid_archive(f"a tar entry has more than {TAR_EXTENSIONS_PER_ENTRY} header extensions")
        tarfile_._registry_stacked_extensions = stacked  # type: ignore[attr-defined]
        if self.type == tarfile.XGLTYPE:
            global_size = tarfile_.__dict__.get("_registry_global_size", 0) + self.size
            if global_size > TAR_EXTENSION_MAX_SIZE:
                raise _extension_too_large()
            tarfile_._registry_global_size = global_size  # type: ignore[attr-defined]

    @staticmethod
    def _entry_done(tarfile_: tarfile.TarFile) -> None:
        tarfile_._registry_stacked_extensions = 0  # type: ignore[attr-defined]

    def _proc_gnulong(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        self._extension(tarfile_)
        return super()._proc_gnulong(tarfile_)

    def _proc_pax(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        self._extension(tarfile_)
        return super()._proc_pax(tarfile_)

    def _proc_builtin(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        self._entry_done(tarfile_)
        return super()._proc_builtin(tarfile_)

    def _proc_sparse(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        self._entry_done(tarfile_)
        with _bounded_reads(tarfile_):
            return super()._proc_sparse(tarfile_)

    def _proc_gnusparse_10(self, next_: tarfile.TarInfo, pax_headers: dict, tarfile_: tarfile.TarFile) -> None:
        with _bounded_reads(tarfile_):
            super()._proc_gnusparse_10(next_, pax_headers, tarfile_)


@contextlib.contextmanager
def _bounded_reads(tarfile_: tarfile.TarFile) -> Iterator[None]:
    """Swap the tar stream for a _ReadBudget of TAR_EXTENSION_MAX_SIZE bytes while a sparse map is read."""
    stream = tarfile_.fileobj
    tarfile_.fileobj = _ReadBudget(stream, TAR_EXTENSION_MAX_SIZE)
    try:
        yield
    finally:
        tarfile_.fileobj = stream


class _GunzipCounter:
    """The gunzipped bytes of a tar.gz, refused once more than ``limit`` of them have been read."""

    def __init__(self, fileobj: IO[bytes], limit: int):
        self._gzip = gzip.GzipFile(fileobj=fileobj, mode="rb")
        self._limit = limit
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        room = self._limit + 1 - self.count  # one byte past the limit tells "too long" from "exactly full"
        data = self._gzip.read(min(size, room) if size >= 0 else room)
        self.count += len(data)
        if self.count > self._limit:
            raise invalid_archive(
                f"the tar.gz archive unpacks to more than {self._limit} bytes (a compression bomb?)",
                limit=self._limit,
            )
        return data

    def close(self) -> None:
        self._gzip.close()


def _tar_stream_limit(limits: ArchiveLimits, compressed_size: int) -> int:
    """The most gunzipped bytes a tar.gz within the caps can need.

    Its file data: at most the total size cap, and at most the compression ratio times the upload once past
    the ratio's floor (which _Checker.ratio enforces for the data alone); plus each entry's header blocks and
    padding, and the end-of-archive record.
    """
    data = min(limits.max_total_size, max(limits.ratio_min_size, limits.max_ratio * compressed_size))
    return data + (limits.max_entries + 1) * TAR_ENTRY_OVERHEAD + limits.ratio_min_size


def _iter_tar(fileobj: IO[bytes], checker: _Checker, compressed_size: int) -> Iterator[ArchiveFile]:
    # Stream mode ("r|") reads the archive once, front to back, without seeking or temporary files; the
    # gunzipping is done here so that the bytes it produces can be counted and capped.
    stream: Any = _GunzipCounter(fileobj, _tar_stream_limit(checker.limits, compressed_size))
    with contextlib.closing(stream), tarfile.open(fileobj=stream, mode="r|", tarinfo=_BoundedTarInfo) as archive:
        while (member := archive.next()) is not None:
            # Stream mode keeps every member it has read (with its pax headers): drop them as we go.
            archive.members.clear()
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
