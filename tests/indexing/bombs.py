"""Archives built to exhaust memory or time through their own structures, not their file data.

The inputs are a few MB at most: the gzip streams are built from one compressed block repeated (see
``gzip_of``). ``test_archive_bombs`` checks that each is refused as INVALID_ARCHIVE in bounded memory;
``bench/hostile_inputs.py`` times the reading of each one from ``CATALOGUE``.
"""

import json
import struct
import tarfile
import zlib
from collections.abc import Callable

from .builders import MANIFEST, manifest_files, tar_gz_bytes

MiB = 1024 * 1024
# Tar header types of the extensions (POSIX pax, GNU tar), and its block size.
BLOCK = 512
PAX_HEADER, PAX_GLOBAL_HEADER, GNU_LONG_NAME, GNU_LONG_LINK = b"x", b"g", b"L", b"K"
MANIFEST_BYTES = json.dumps(MANIFEST).encode()
END_OF_ARCHIVE = b"\0" * (2 * BLOCK)
LONG_NAME = "d/" + "n" * 5000


def gzip_of(*parts: bytes | tuple[bytes, int]) -> bytes:
    """A gzip stream of the parts, where ``(chunk, n)`` stands for ``chunk`` repeated ``n`` times.

    A repeated chunk is deflated once: a full flush before and after it makes its deflate output the same
    wherever it appears, so hundreds of MB of input cost only one chunk's compression.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated, crc, size = [], 0, 0
    for part in parts:
        chunk, times = part if isinstance(part, tuple) else (part, 1)
        once = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
        deflated.append(once * times)
        for _ in range(times):
            crc = zlib.crc32(chunk, crc)
        size += len(chunk) * times
    deflated.append(compressor.flush())
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + b"".join(deflated) + struct.pack("<2L", crc, size & 0xFFFFFFFF)


def header(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, fmt: int = tarfile.GNU_FORMAT) -> bytes:
    """One raw 512-byte tar header, with no extension headers of its own."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = size
    return info.tobuf(fmt)


def padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % BLOCK)


def manifest_member() -> bytes:
    return header("publisher.json", size=len(MANIFEST_BYTES)) + padded(MANIFEST_BYTES)


def pax_record(keyword: str, value: str) -> bytes:
    body = f" {keyword}={value}\n".encode()
    length = len(body) + len(str(len(body)))
    length = len(body) + len(str(length))
    return str(length).encode() + body


def with_checksum(block: bytearray) -> bytes:
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


# --- tar.gz ---------------------------------------------------------------------------------------------


def huge_header_extension(kind: bytes) -> bytes:
    """A GNU long name or link, or a pax header, of 400 MiB in front of the manifest."""
    return gzip_of(header("././@LongLink", kind, 400 * MiB), (b"a" * MiB, 400), manifest_member(), END_OF_ARCHIVE)


def huge_global_pax_header() -> bytes:
    return gzip_of(header("pax_global_header", PAX_GLOBAL_HEADER, 100 * MiB), (b"9" * MiB, 100), END_OF_ARCHIVE)


def global_pax_headers_adding_up() -> bytes:
    """Global headers accumulate for the whole archive: each under the cap, together over it."""
    records = b"".join(pax_record(f"k{n:05}", "v" * 20) for n in range(1500))  # about 48 KiB
    one = header("pax_global_header", PAX_GLOBAL_HEADER, len(records)) + padded(records)
    return gzip_of(one, manifest_member(), one, manifest_member(), END_OF_ARCHIVE)


def chain_of_extension_headers() -> bytes:
    """Each extension reads the next header recursively, holding its own buffer and header copy."""
    records = pax_record("comment", "c" * 60_000)
    extension = header("PaxHeader", PAX_HEADER, len(records)) + padded(records)
    return gzip_of((extension, 2000), manifest_member(), END_OF_ARCHIVE)


def endless_gnu_sparse_header() -> bytes:
    sparse = bytearray(header("sparse.csv", tarfile.GNUTYPE_SPARSE, 0))
    sparse[482] = 1  # "isextended": sparse map blocks follow the header
    extension = bytearray(b"".join(b"%011o\0" % n for n in range(1, 43)).ljust(BLOCK, b"\0"))
    extension[504] = 1  # and another after each of them
    return gzip_of(with_checksum(sparse), (bytes(extension) * 2048, 100), END_OF_ARCHIVE)


def endless_pax_sparse_map() -> bytes:
    """GNU sparse format 1.0 keeps its map in the data area, read block by block until its declared count
    of numbers: 100 MiB of "1\\n" would be a list of 52 million of them."""
    records = pax_record("GNU.sparse.major", "1") + pax_record("GNU.sparse.minor", "0")
    records += pax_record("GNU.sparse.name", "sparse.csv") + pax_record("GNU.sparse.realsize", "10")
    member = header("PaxHeader", PAX_HEADER, len(records)) + padded(records)
    member += header("GNUSparseFile.0/sparse.csv", size=100 * MiB)
    return gzip_of(member, b"99999999999\n", (b"1\n" * (MiB // 2), 100), END_OF_ARCHIVE)


def name_longer_than_a_path() -> bytes:
    return tar_gz_bytes(manifest_files(**{LONG_NAME: "x"}))


def headers_past_their_allowance() -> bytes:
    """Headers are not entry data, so the entry caps never see them: the gunzipped bytes are capped too.

    Read it with ``max_entries=10``."""
    records = pax_record("comment", "c" * 60_000)
    extensions = (header("PaxHeader", PAX_HEADER, len(records)) + padded(records)) * 7
    return gzip_of(*(extensions + header(f"{n}.csv") for n in range(9)), END_OF_ARCHIVE)


# --- zip ------------------------------------------------------------------------------------------------

# The zip structures as PKWARE's APPNOTE.TXT (4.3.7, 4.3.12, 4.3.14 to 4.3.16) lays them out.
LOCAL_HEADER = struct.Struct("<4s5H3L2H")
CENTRAL_RECORD = struct.Struct("<4s6H3L5H2L")
END_RECORD = struct.Struct("<4s4H2LH")
ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")
ZIP64_LOCATOR = struct.Struct("<4sLQL")


def local_header(name: bytes) -> bytes:
    """A stored, empty entry's local header."""
    return LOCAL_HEADER.pack(b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name


def central_record(name: bytes) -> bytes:
    """A central directory record (made on Unix) of a stored, empty entry whose local header opens the file."""
    return CENTRAL_RECORD.pack(b"PK\x01\x02", 3 << 8 | 20, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0) + name


def end_record(
    entries: int, size: int, offset: int, comment: bytes = b"", *, comment_length: int | None = None
) -> bytes:
    length = len(comment) if comment_length is None else comment_length
    return END_RECORD.pack(b"PK\x05\x06", 0, 0, entries, entries, size, offset, length) + comment


def zip64_end_records(entries: int, size: int, offset: int) -> bytes:
    """A zip64 end record and its locator (at ``offset + size``, after the directory), then an end record
    that defers to them."""
    return (
        ZIP64_END_RECORD.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, size, offset)
        + ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, offset + size, 1)
        + end_record(0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    )


def as_zip64(data: bytes) -> bytes:
    """A zip without a comment, its end record replaced by zip64 end records saying the same."""
    entries, size, offset = END_RECORD.unpack(data[-END_RECORD.size :])[4:7]
    return data[: -END_RECORD.size] + zip64_end_records(entries, size, offset)


def lying_zip(records: int, *, zip64: bool = False, name: bytes = b"x") -> bytes:
    """A zip whose end record declares one entry, in front of ``records`` central directory records."""
    local = local_header(name)
    directory = central_record(name) * records
    ends = zip64_end_records if zip64 else end_record
    return local + directory + ends(1, len(directory), len(local))


def end_record_hidden_in_the_comment(records: int) -> bytes:
    """A zip of one entry whose comment holds ``records`` central directory records and a second end record.

    The real end record's comment runs to the end of the file; the one in the comment claims a comment of its
    own that is not there. zipfile takes the last end-record signature (it assumes a comment holds none), so
    it reads the directory in the comment; a reader that checks comment lengths reads the one-entry directory.
    """
    local = local_header(b"x")
    directory = central_record(b"x")
    hidden = central_record(b"x") * records
    fake_end = end_record(1, len(hidden), 0, comment_length=1)
    real_end = end_record(1, len(directory), len(local), hidden + fake_end)
    return local + directory + real_end


def empty_name_zip() -> bytes:
    """Five records, as many as ``max_entries=5`` allows: the count lets them through to the entry checks."""
    return lying_zip(5, name=b"")


# Every bomb with the limits it is read under ({} = as uploads are read): label, builder, limits.
CATALOGUE: list[tuple[str, Callable[[], bytes], dict]] = [
    ("tar.gz: 400 MiB GNU long name", lambda: huge_header_extension(GNU_LONG_NAME), {}),
    ("tar.gz: 400 MiB GNU long link", lambda: huge_header_extension(GNU_LONG_LINK), {}),
    ("tar.gz: 400 MiB pax header", lambda: huge_header_extension(PAX_HEADER), {}),
    ("tar.gz: 100 MiB global pax header", huge_global_pax_header, {}),
    ("tar.gz: global pax headers adding up", global_pax_headers_adding_up, {}),
    ("tar.gz: 2000 chained pax headers", chain_of_extension_headers, {}),
    ("tar.gz: endless GNU sparse header", endless_gnu_sparse_header, {}),
    ("tar.gz: endless pax sparse map", endless_pax_sparse_map, {}),
    ("tar.gz: 5000-character entry name", name_longer_than_a_path, {}),
    ("tar.gz: headers past their allowance", headers_past_their_allowance, {"max_entries": 10}),
    ("zip: 1 entry declared, 100,000 records", lambda: lying_zip(100_000), {}),
    ("zip64: 1 entry declared, 100,000 records", lambda: lying_zip(100_000, zip64=True), {}),
    (
        "zip: an end record hidden in the comment, 1,200 records",
        lambda: end_record_hidden_in_the_comment(1200),
        {"max_entries": 1000},
    ),
    ("zip: an entry with an empty name", empty_name_zip, {"max_entries": 5}),
]
