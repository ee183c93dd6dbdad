"""Archives built to exhaust memory or time through their own structures, not their file data.

The inputs are a few MB at most: the gzip streams are built from one compressed block repeated (see
``gzip_of``). ``test_archive_bombs`` checks that each is refused as INVALID_ARCHIVE in bounded memory;
``bench/hostile_inputs.py`` times the reading of each one from ``CATALOGUE``.
"""

import json
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable

from .builders import MANIFEST, manifest_files, tar_gz_bytes

MiB = 1024 * 1024
BLOCK = tarfile.BLOCKSIZE
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
    return gzip_of(header("pax_global_header", tarfile.XGLTYPE, 100 * MiB), (b"9" * MiB, 100), END_OF_ARCHIVE)


def global_pax_headers_adding_up() -> bytes:
    """Global headers accumulate for the whole archive: each under the cap, together over it."""
    records = b"".join(pax_record(f"k{n:05}", "v" * 20) for n in range(1500))  # about 48 KiB
    one = header("pax_global_header", tarfile.XGLTYPE, len(records)) + padded(records)
    return gzip_of(one, manifest_member(), one, manifest_member(), END_OF_ARCHIVE)


def chain_of_extension_headers() -> bytes:
    """Each extension reads the next header recursively, holding its own buffer and header copy."""
    records = pax_record("comment", "c" * 60_000)
    extension = header("PaxHeader", tarfile.XHDTYPE, len(records)) + padded(records)
    return gzip_of((extension, 2000), manifest_member(), END_OF_ARCHIVE)


def endless_gnu_sparse_header() -> bytes:
    sparse = bytearray(header("sparse.csv", tarfile.GNUTYPE_SPARSE, 0))
    sparse[482] = 1  # "isextended": sparse map blocks follow the header
    extension = bytearray(b"".join(tarfile.itn(n, 12, tarfile.GNU_FORMAT) for n in range(1, 43)).ljust(BLOCK, b"\0"))
    extension[504] = 1  # and another after each of them
    return gzip_of(with_checksum(sparse), (bytes(extension) * 2048, 100), END_OF_ARCHIVE)


def endless_pax_sparse_map() -> bytes:
    """GNU sparse format 1.0 keeps its map in the data area, read block by block until its declared count
    of numbers: 100 MiB of "1\\n" would be a list of 52 million of them."""
    records = pax_record("GNU.sparse.major", "1") + pax_record("GNU.sparse.minor", "0")
    records += pax_record("GNU.sparse.name", "sparse.csv") + pax_record("GNU.sparse.realsize", "10")
    member = header("PaxHeader", tarfile.XHDTYPE, len(records)) + padded(records)
    member += header("GNUSparseFile.0/sparse.csv", size=100 * MiB)
    return gzip_of(member, b"99999999999\n", (b"1\n" * (MiB // 2), 100), END_OF_ARCHIVE)


def name_longer_than_a_path() -> bytes:
    return tar_gz_bytes(manifest_files(**{LONG_NAME: "x"}))


def headers_past_their_allowance() -> bytes:
    """Headers are not entry data, so the entry caps never see them: the gunzipped bytes are capped too.

    Read it with ``max_entries=10``."""
    records = pax_record("comment", "c" * 60_000)
    extensions = (header("PaxHeader", tarfile.XHDTYPE, len(records)) + padded(records)) * 7
    return gzip_of(*(extensions + header(f"{n}.csv") for n in range(9)), END_OF_ARCHIVE)


# --- zip ------------------------------------------------------------------------------------------------

LOCAL_HEADER = struct.Struct(zipfile.structFileHeader)
CENTRAL_RECORD = struct.Struct(zipfile.structCentralDir)
END_RECORD = struct.Struct(zipfile.structEndArchive)


def lying_zip(records: int, *, zip64: bool = False, name: bytes = b"x") -> bytes:
    """A zip whose end record declares one entry, in front of ``records`` central directory records."""
    local = LOCAL_HEADER.pack(zipfile.stringFileHeader, 20, 0, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    record = CENTRAL_RECORD.pack(
        zipfile.stringCentralDir, 20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0
    )
    directory = (record + name) * records
    end = END_RECORD.pack(zipfile.stringEndArchive, 0, 0, 1, 1, len(directory), len(local), 0)
    if zip64:
        end64_at = len(local) + len(directory)
        end = (
            struct.pack(
                zipfile.structEndArchive64,
                zipfile.stringEndArchive64,
                44,
                45,
                45,
                0,
                0,
                1,
                1,
                len(directory),
                len(local),
            )
            + struct.pack(zipfile.structEndArchive64Locator, zipfile.stringEndArchive64Locator, 0, end64_at, 1)
            + END_RECORD.pack(zipfile.stringEndArchive, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
        )
    return local + directory + end


def empty_name_zip() -> bytes:
    """Five records, as many as ``max_entries=5`` allows: the count lets them through to the entry checks."""
    return lying_zip(5, name=b"")


# Every bomb with the limits it is read under ({} = as uploads are read): label, builder, limits.
CATALOGUE: list[tuple[str, Callable[[], bytes], dict]] = [
    ("tar.gz: 400 MiB GNU long name", lambda: huge_header_extension(tarfile.GNUTYPE_LONGNAME), {}),
    ("tar.gz: 400 MiB GNU long link", lambda: huge_header_extension(tarfile.GNUTYPE_LONGLINK), {}),
    ("tar.gz: 400 MiB pax header", lambda: huge_header_extension(tarfile.XHDTYPE), {}),
    ("tar.gz: 100 MiB global pax header", huge_global_pax_header, {}),
    ("tar.gz: global pax headers adding up", global_pax_headers_adding_up, {}),
    ("tar.gz: 2000 chained pax headers", chain_of_extension_headers, {}),
    ("tar.gz: endless GNU sparse header", endless_gnu_sparse_header, {}),
    ("tar.gz: endless pax sparse map", endless_pax_sparse_map, {}),
    ("tar.gz: 5000-character entry name", name_longer_than_a_path, {}),
    ("tar.gz: headers past their allowance", headers_past_their_allowance, {"max_entries": 10}),
    ("zip: 1 entry declared, 100,000 records", lambda: lying_zip(100_000), {}),
    ("zip64: 1 entry declared, 100,000 records", lambda: lying_zip(100_000, zip64=True), {}),
    ("zip: an entry with an empty name", empty_name_zip, {"max_entries": 5}),
]
