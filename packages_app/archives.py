"""Safe reading of uploaded package archives (zip and tar.gz) without extracting them to disk.

Archive layout
--------------
A package archive holds ``publisher.json`` (a JSON object) at its root, next to the package's files:
``*.malloy`` models, ``*.malloynb`` notebooks, data files (``.csv``, ``.parquet``, ``.xlsx``, ``.json``),
``dashboards/`` and ``public/``. A component package additionally lists its components in
``publisher.json`` as ``"components": [{"name": ..., "type": "view" | "layout", "version": ...}]`` and
stores each component's source as ``components/<name>.<ext>``.

Every entry is checked before any of its bytes are trusted: absolute paths, ``..`` components, symbolic
and hard links, device/fifo/socket entries, sparse files, duplicate paths and encrypted entries are
refused, and the entry count, the total uncompressed size and the compression ratio are capped (settings
``ARCHIVE_MAX_ENTRIES``, ``ARCHIVE_MAX_TOTAL_SIZE``, ``ARCHIVE_MAX_COMPRESSION_RATIO``).

The archive's own structures are bounded before they are held in memory, with public APIs only. A zip's
end records and central directory headers are read here with ``struct`` (``_zip_directory``, following
PKWARE's APPNOTE and finding them where ``zipfile`` does): the records are counted against the entry cap
before ``zipfile.ZipFile`` parses them. A tar is read here (``_TarReader``), each header block decoded by
``tarfile.TarInfo.frombuf``: its header extensions (GNU long names and links, pax headers) are refused
above ``TAR_EXTENSION_MAX_SIZE`` before they are read, at most ``TAR_EXTENSIONS_PER_ENTRY`` per entry, and
the bytes gunzipped from a tar.gz are capped too (see ``_tar_stream_limit``). Every refusal, and every
truncated or corrupt archive, is a ``RegistryError("INVALID_ARCHIVE", <a sentence naming the entry>,
status=400)``.
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
)
# Tar as POSIX (ustar, pax) and GNU tar write it: 512-byte blocks, each entry a header block then its data
# padded to whole blocks. Header extensions are entries of their own, in front of the entry they describe.
TAR_BLOCK = 512
TAR_PAX_TYPES = (b"x", b"X")  # a pax header for the next entry ("X": Solaris's name for it)
TAR_PAX_GLOBAL_TYPE = b"g"  # a pax header for every entry after it
TAR_LONG_NAME_TYPE, TAR_LONG_LINK_TYPE = b"L", b"K"  # GNU tar's long name and long link of the next entry
TAR_EXTENSION_TYPES = (*TAR_PAX_TYPES, TAR_PAX_GLOBAL_TYPE, TAR_LONG_NAME_TYPE, TAR_LONG_LINK_TYPE)
# Names in headers are UTF-8 (pax says so; GNU tar and tarfile write the locale's, UTF-8 here); bytes that
# are not decode as surrogates, as tarfile does.
TAR_ENCODING = "utf-8"
# A tar header extension (a GNU long name or link, a pax header) is read whole into memory before the entry
# it describes: paths are far shorter than this, so larger ones are refused. An entry has at most a few
# (a pax header, or a long name and a long link).
TAR_EXTENSION_MAX_SIZE = 64 * 1024
TAR_EXTENSIONS_PER_ENTRY = 8
# Tar bytes allowed per entry for its header and extensions, over and above the file data itself.
TAR_ENTRY_OVERHEAD = 8 * TAR_BLOCK
# An entry's path, as stored and remembered for the duplicate check: PATH_MAX on Linux.
MAX_PATH_LENGTH = 4096
# The zip structures read before zipfile is given the archive, as PKWARE's APPNOTE.TXT (4.3.12 to 4.3.16)
# lays them out: little-endian, fixed-size, each opening with its signature.
ZIP_END = struct.Struct("<4s4H2LH")  # end of central directory record; a comment of up to 64 KiB follows
ZIP_END_SIGNATURE = b"PK\x05\x06"
ZIP_MAX_COMMENT = 0xFFFF
ZIP64_LOCATOR = struct.Struct("<4sLQL")  # zip64 end of central directory locator, right before the end record
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_END = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record, right before the locator
ZIP64_END_SIGNATURE = b"PK\x06\x06"
ZIP_CENTRAL_RECORD = struct.Struct("<4s6H3L5H2L")  # central directory header; name, extra, comment follow
ZIP_CENTRAL_SIGNATURE = b"PK\x01\x02"

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

    def __init__(self, stream: IO[bytes] | _TarData, path: str):
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


def _zip_directory(fileobj: IO[bytes]) -> tuple[int, int, int] | None:
    """Where ZipFile will read the central directory: (declared entry count, start, size), or None if nowhere.

    Read from the end records alone, as zipfile finds them: the end record is the last 22 bytes when they are
    one without a comment, else the last end-record signature in the final 22 + 65,535 bytes (zipfile assumes
    a comment holds none); a zip64 locator right before it, with a zip64 end record right before that, gives
    the count and size instead. The directory ends where the end records begin, wherever its recorded offset
    says (data may have been prepended to the zip). test_archive_bombs.py pins this against ZipFile itself.
    """
    fileobj.seek(0, 2)
    tail_start = max(fileobj.tell() - ZIP_END.size - ZIP_MAX_COMMENT, 0)
    fileobj.seek(tail_start)
    tail = fileobj.read()
    at = len(tail) - ZIP_END.size
    if at < 0 or not tail.startswith(ZIP_END_SIGNATURE, at) or not tail.endswith(b"\0\0"):
        at = tail.rfind(ZIP_END_SIGNATURE)
        if at < 0 or at + ZIP_END.size > len(tail):
            return None
    entries, size = ZIP_END.unpack_from(tail, at)[4:6]
    end = tail_start + at
    if end >= ZIP64_LOCATOR.size:
        fileobj.seek(end - ZIP64_LOCATOR.size)
        locator = fileobj.read(ZIP64_LOCATOR.size)
        if locator.startswith(ZIP64_LOCATOR_SIGNATURE):
            _, disk, _, disks = ZIP64_LOCATOR.unpack(locator)
            if disk != 0 or disks > 1:
                return None  # a zip spanning several disks: ZipFile refuses it
            if end >= ZIP64_LOCATOR.size + ZIP64_END.size:
                fileobj.seek(end - ZIP64_LOCATOR.size - ZIP64_END.size)
                record = fileobj.read(ZIP64_END.size)
                if record.startswith(ZIP64_END_SIGNATURE):
                    entries, size = ZIP64_END.unpack(record)[7:9]
                    end -= ZIP64_LOCATOR.size + ZIP64_END.size
    return entries, end - size, size


def _check_zip_directory(fileobj: IO[bytes], limits: ArchiveLimits) -> None:
    """Refuse a zip whose central directory holds more records than the entry cap, before ZipFile loads it.

    ZipFile parses every record of the central directory into a ZipInfo whatever count the end record
    declares, so both are checked: the declared count, then the records themselves, walked header by
    header (at most ``max_entries + 1`` of them, 46 bytes each, skipping names and extra fields) from where
    ZipFile will look for them.
    """
    try:
        directory = _zip_directory(fileobj)
        if directory is None:
            return  # not a zip ZipFile can open: it says so itself
        entries, start, size = directory
        if entries > limits.max_entries:
            raise _too_many_entries(limits)
        if start < 0:
            return
        fileobj.seek(start)
        position = records = 0
        while position < size:
            header = fileobj.read(ZIP_CENTRAL_RECORD.size)
            if len(header) != ZIP_CENTRAL_RECORD.size or not header.startswith(ZIP_CENTRAL_SIGNATURE):
                return  # ZipFile stops at the same place and refuses the archive
            records += 1
            if records > limits.max_entries:
                raise _too_many_entries(limits)
            name, extra, comment = ZIP_CENTRAL_RECORD.unpack(header)[10:13]
            fileobj.seek(name + extra + comment, 1)
            position += ZIP_CENTRAL_RECORD.size + name + extra + comment
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


def _blocks(size: int) -> int:
    """``size`` bytes rounded up to whole tar blocks."""
    return -(-size // TAR_BLOCK) * TAR_BLOCK


def _read_exactly(stream: Any, size: int) -> bytes:
    data = stream.read(size)
    while len(data) < size and (more := stream.read(size - len(data))):
        data += more
    if len(data) < size:
        raise tarfile.ReadError("unexpected end of data")
    return data


def _pax_records(payload: bytes) -> dict[str, str]:
    """The ``"<length> <keyword>=<value>\\n"`` records of a pax header, up to a NUL (POSIX.1-2008, pax)."""
    records = {}
    position = 0
    while position < len(payload) and payload[position] != 0:
        length, space, _ = payload[position : position + 20].partition(b" ")
        end = position + int(length) if space and length.isdigit() else position
        record = payload[position + len(length) + 1 : end]
        if not (position < end <= len(payload) and record.endswith(b"\n") and b"=" in record):
            raise tarfile.ReadError("a pax header record is malformed")
        keyword, _, value = record[:-1].partition(b"=")
        records[keyword.decode(TAR_ENCODING, "surrogateescape")] = value.decode(TAR_ENCODING, "surrogateescape")
        position = end
    return records


class _TarData:
    """One tar entry's data: the next ``left`` bytes of the archive's stream."""

    def __init__(self, stream: Any, size: int):
        self._stream = stream
        self.left = size

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = _read_exactly(self._stream, size)
        self.left -= size
        return data


class _TarReader:
    """Reads a tar stream front to back, one entry at a time, bounding header extensions before reading them.

    Each 512-byte header is decoded by ``tarfile.TarInfo.frombuf``; the extensions in front of an entry are
    applied here: a GNU long name or long link replaces the header's, a pax header's ``path``, ``linkpath`` and
    ``size`` replace those, and pax global headers count for every entry after them. An extension is refused
    above TAR_EXTENSION_MAX_SIZE before it is read, so are more than TAR_EXTENSIONS_PER_ENTRY in front of one
    entry and global headers above TAR_EXTENSION_MAX_SIZE in all. An entry's data follows its header, padded
    to whole blocks, for regular files only (as tarfile reads it); the end is a zero block or the stream's end.
    """

    def __init__(self, stream: Any):
        self._stream = stream
        self._global: dict[str, str] = {}
        self._global_size = 0
        self.data = _TarData(stream, 0)
        self._padding = 0

    def _skip(self, size: int) -> None:
        while size > 0:
            size -= len(_read_exactly(self._stream, min(size, CHUNK_SIZE)))

    def _header(self, extensions: int) -> tarfile.TarInfo | None:
        block = self._stream.read(TAR_BLOCK)
        if not block or block.count(0) == TAR_BLOCK:
            if extensions:
                raise tarfile.ReadError("the archive ends after a header extension")
            return None
        block += _read_exactly(self._stream, TAR_BLOCK - len(block))
        header = tarfile.TarInfo.frombuf(block, TAR_ENCODING, "surrogateescape")
        if header.size < 0:
            raise tarfile.ReadError(f"entry {header.name} has a negative size")
        return header

    def next(self) -> tarfile.TarInfo | None:
        """The next entry with its extensions applied (in ``pax_headers`` too), or None at the end."""
        self._skip(self.data.left + self._padding)
        self.data.left = 0
        local: dict[str, str] = {}
        names: dict[bytes, str] = {}
        extensions = 0
        while (header := self._header(extensions)) is not None and header.type in TAR_EXTENSION_TYPES:
            if header.size > TAR_EXTENSION_MAX_SIZE:
                raise _extension_too_large()
            extensions += 1
            if extensions > TAR_EXTENSIONS_PER_ENTRY:
                raise invalid_archive(f"a tar entry has more than {TAR_EXTENSIONS_PER_ENTRY} header extensions")
            payload = _read_exactly(self._stream, _blocks(header.size))[: header.size]
            if header.type == TAR_PAX_GLOBAL_TYPE:
                self._global_size += header.size
                if self._global_size > TAR_EXTENSION_MAX_SIZE:
                    raise _extension_too_large()
                self._global.update(_pax_records(payload))
            elif header.type in TAR_PAX_TYPES:
                local.update(_pax_records(payload))
            else:
                names[header.type] = payload.split(b"\0", 1)[0].decode(TAR_ENCODING, "surrogateescape")
        if header is None:
            return None
        header.pax_headers = {**self._global, **local}
        header.name = header.pax_headers.get("path", names.get(TAR_LONG_NAME_TYPE, header.name))
        header.linkname = header.pax_headers.get("linkpath", names.get(TAR_LONG_LINK_TYPE, header.linkname))
        if "size" in header.pax_headers:
            header.size = int(header.pax_headers["size"])
            if header.size < 0:
                raise tarfile.ReadError(f"entry {header.name} has a negative size")
        size = header.size if header.isfile() else 0
        self.data = _TarData(self._stream, size)
        self._padding = _blocks(size) - size
        return header


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
    # The archive is read once, front to back, without seeking or temporary files; the gunzipping is done here
    # so that the bytes it produces can be counted and capped.
    stream = _GunzipCounter(fileobj, _tar_stream_limit(checker.limits, compressed_size))
    with contextlib.closing(stream):
        archive = _TarReader(stream)
        while (member := archive.next()) is not None:
            path = checker.entry(member.name, member.size if member.isfile() else 0)
            if member.issym() or member.islnk():
                kind = "symbolic" if member.issym() else "hard"
                raise invalid_archive(f"entry {member.name} is a {kind} link to {member.linkname}", entry=member.name)
            if member.ischr() or member.isblk() or member.isfifo():
                raise invalid_archive(f"entry {member.name} is a device or fifo", entry=member.name)
            # A sparse file (GNU tar's, in either form) stores a map of holes with its data: none is read.
            sparse = member.type == tarfile.GNUTYPE_SPARSE or any(
                key.startswith("GNU.sparse.") for key in member.pax_headers
            )
            if sparse:
                raise invalid_archive(f"entry {member.name} is a sparse file", entry=member.name)
            if member.isdir():
                continue
            if not member.isfile():
                raise invalid_archive(f"entry {member.name} is not a regular file", entry=member.name)
            # gzip compresses the whole stream, so the ratio is checked for everything unpacked so far.
            checker.ratio(member.name, checker.total_size, compressed_size)
            yield ArchiveFile(path=path, size=member.size, stream=_GuardedStream(archive.data, path))


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
