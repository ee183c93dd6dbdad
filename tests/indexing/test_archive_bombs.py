"""Archives built to exhaust memory or time through their own structures, not their file data.

Each is refused as INVALID_ARCHIVE within a small, measured memory peak and time. The inputs are a few MB
at most: the gzip streams are built from one compressed block repeated (see ``gzip_of``).
"""

import io
import json
import random
import struct
import tarfile
import time
import tracemalloc
import zipfile
import zlib

import pytest

from packages_app.archives import ArchiveLimits, iter_archive, read_manifest
from registry.errors import RegistryError

from .builders import MANIFEST, manifest_files, tar_gz_bytes, zip_bytes

MiB = 1024 * 1024
PEAK_LIMIT = 50 * MiB
TIME_LIMIT = 2.0
BLOCK = tarfile.BLOCKSIZE
MANIFEST_BYTES = json.dumps(MANIFEST).encode()


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


END_OF_ARCHIVE = b"\0" * (2 * BLOCK)


def pax_record(keyword: str, value: str) -> bytes:
    body = f" {keyword}={value}\n".encode()
    length = len(body) + len(str(len(body)))
    length = len(body) + len(str(length))
    return str(length).encode() + body


def read_whole(fileobj: io.BytesIO, limits: dict) -> None:
    if not limits:
        read_manifest(fileobj)
    for entry in iter_archive(fileobj, limits=ArchiveLimits(**limits)):
        entry.stream.read()


def refused_within_bounds(data: bytes, **limits) -> RegistryError:
    """Read the archive (as uploads are, or with these limits), expecting INVALID_ARCHIVE in bounded memory."""
    fileobj = io.BytesIO(data)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(RegistryError) as caught:
            read_whole(fileobj, limits)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.code == "INVALID_ARCHIVE"
    assert caught.value.status == 400
    assert peak < PEAK_LIMIT, f"peak memory {peak / MiB:.1f} MiB"
    assert elapsed < TIME_LIMIT, f"took {elapsed:.2f} s"
    return caught.value


# --- tar.gz ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE])
def test_a_400_mib_tar_header_extension_is_refused_before_it_is_read(kind):
    size = 400 * MiB
    data = gzip_of(header("././@LongLink", kind, size), (b"a" * MiB, 400), manifest_member(), END_OF_ARCHIVE)
    assert len(data) < 2 * MiB
    error = refused_within_bounds(data)
    assert error.message == "a tar header extension is larger than 64 KiB"


def test_a_global_pax_header_over_the_cap_is_refused():
    data = gzip_of(header("pax_global_header", tarfile.XGLTYPE, 100 * MiB), (b"9" * MiB, 100), END_OF_ARCHIVE)
    error = refused_within_bounds(data)
    assert error.message == "a tar header extension is larger than 64 KiB"


def test_global_pax_headers_that_add_up_past_the_cap_are_refused():
    # Global headers accumulate for the whole archive: each under the cap, together over it.
    records = b"".join(pax_record(f"k{n:05}", "v" * 20) for n in range(1500))  # about 48 KiB
    one = header("pax_global_header", tarfile.XGLTYPE, len(records)) + padded(records)
    data = gzip_of(one, manifest_member(), one, manifest_member(), END_OF_ARCHIVE)
    error = refused_within_bounds(data)
    assert error.message == "a tar header extension is larger than 64 KiB"


def test_a_chain_of_extension_headers_in_front_of_one_entry_is_refused():
    # Each extension reads the next header recursively, holding its own buffer and header copy.
    records = pax_record("comment", "c" * 60_000)
    extension = header("PaxHeader", tarfile.XHDTYPE, len(records)) + padded(records)
    data = gzip_of((extension, 2000), manifest_member(), END_OF_ARCHIVE)
    error = refused_within_bounds(data)
    assert error.message == "a tar entry has more than 8 header extensions"


def test_a_gnu_sparse_header_with_endless_extension_blocks_is_refused():
    sparse = bytearray(header("sparse.csv", tarfile.GNUTYPE_SPARSE, 0))
    sparse[482] = 1  # "isextended": sparse map blocks follow the header
    extension = bytearray(b"".join(tarfile.itn(n, 12, tarfile.GNU_FORMAT) for n in range(1, 43)).ljust(BLOCK, b"\0"))
    extension[504] = 1  # and another after each of them
    data = gzip_of(with_checksum(sparse), (bytes(extension) * 2048, 100), END_OF_ARCHIVE)
    error = refused_within_bounds(data)
    assert error.message == "a tar header extension is larger than 64 KiB"


def test_a_pax_sparse_map_that_never_ends_is_refused():
    # GNU sparse format 1.0 keeps its map in the data area, read block by block until its declared count
    # of numbers: 100 MiB of "1\n" would be a list of 52 million of them.
    records = pax_record("GNU.sparse.major", "1") + pax_record("GNU.sparse.minor", "0")
    records += pax_record("GNU.sparse.name", "sparse.csv") + pax_record("GNU.sparse.realsize", "10")
    member = header("PaxHeader", tarfile.XHDTYPE, len(records)) + padded(records)
    member += header("GNUSparseFile.0/sparse.csv", size=100 * MiB)
    data = gzip_of(member, b"99999999999\n", (b"1\n" * (MiB // 2), 100), END_OF_ARCHIVE)
    error = refused_within_bounds(data)
    assert error.message == "a tar header extension is larger than 64 KiB"


def test_entries_with_names_longer_than_a_path_can_be_are_refused():
    name = "d/" + "n" * 5000
    data = tar_gz_bytes(manifest_files(**{name: "x"}))
    error = refused_within_bounds(data)
    assert error.message == f"entry {name[:100]}... has a name longer than 4096 characters"


def test_a_tar_gz_unpacking_past_its_header_allowance_is_refused():
    # Headers are not entry data, so the entry caps never see them: the gunzipped bytes are capped too.
    records = pax_record("comment", "c" * 60_000)
    extensions = (header("PaxHeader", tarfile.XHDTYPE, len(records)) + padded(records)) * 7
    data = gzip_of(*(extensions + header(f"{n}.csv") for n in range(9)), END_OF_ARCHIVE)
    error = refused_within_bounds(data, max_entries=10)
    limit = max(1 * MiB, 200 * len(data)) + 11 * 8 * BLOCK + 1 * MiB
    assert error.message == f"the tar.gz archive unpacks to more than {limit} bytes (a compression bomb?)"
    assert error.details == {"limit": limit}


def with_checksum(block: bytearray) -> bytes:
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def test_legitimate_tar_header_extensions_are_still_read():
    long_name = "models/" + "deep/" * 100 + "m.malloy"  # past ustar's 100-character name field
    for fmt in (tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz", format=fmt) as archive:
            if fmt == tarfile.PAX_FORMAT:  # as git archive writes it
                archive.pax_headers = {"comment": "0123456789abcdef0123456789abcdef01234567"}
            for name, content in {**manifest_files(), long_name: "source: m is t"}.items():
                info = tarfile.TarInfo(name)
                info.size = len(content.encode())
                info.pax_headers = {"mtime": "1700000000.123456789", "SCHILY.xattr.user.note": "n" * 4000}
                archive.addfile(info, io.BytesIO(content.encode()))
        listed = {entry.path: entry.stream.read() for entry in iter_archive(io.BytesIO(buffer.getvalue()))}
        assert listed == {"publisher.json": MANIFEST_BYTES, long_name: b"source: m is t"}


def test_a_tar_gz_just_under_the_compression_ratio_is_still_read():
    # Mostly zeros with a little noise: about 170:1, under the 200:1 cap, and past the ratio's 1 MiB floor.
    noise = random.Random(0)
    data = b"".join(b"\0" * (65536 - 200) + noise.randbytes(200) for _ in range(64))
    archive = tar_gz_bytes(manifest_files(**{"data/big.csv": data, **{f"d/{n}.csv": str(n) for n in range(500)}}))
    assert 160 < len(data) / len(archive) < 200
    assert sum(1 for _ in iter_archive(io.BytesIO(archive), limits=ArchiveLimits(max_entries=502))) == 502


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


@pytest.mark.parametrize("zip64", [False, True], ids=["zip", "zip64"])
def test_a_zip_declaring_one_entry_over_a_huge_central_directory_is_refused(zip64):
    data = lying_zip(100_000, zip64=zip64)
    assert len(data) < 5 * MiB
    error = refused_within_bounds(data)
    assert error.message == "the archive has more than 10000 entries"


def test_a_zip_entry_with_an_empty_name_is_refused_rather_than_crashing():
    # Five records, as many as the cap allows: the count lets them through to the entry checks.
    error = refused_within_bounds(lying_zip(5, name=b""), max_entries=5)
    assert error.message == "an entry has an empty name"


def test_a_zip_with_long_names_and_extra_fields_is_still_read():
    # Its central directory is far larger than 46 bytes per entry: the records are walked, not estimated.
    names = {f"models/{n}/" + "m" * 2000 + ".malloy": "source: m is t" for n in range(4)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in {**manifest_files(), **names}.items():
            info = zipfile.ZipInfo(name)
            info.extra = struct.pack("<HH", 0xCAFE, 3000) + b"e" * 3000
            info.comment = b"c" * 1000
            archive.writestr(info, content)
    listed = list(iter_archive(io.BytesIO(buffer.getvalue()), limits=ArchiveLimits(max_entries=5)))
    assert len(listed) == 5


def test_a_zip_appended_to_another_is_read_from_its_own_directory():
    # ZipFile finds the central directory from the end record; the count must look in the same place.
    first = zip_bytes(manifest_files({"name": "first"}, **{f"d/{n}.csv": "a" for n in range(9)}))
    data = first + zip_bytes(manifest_files(**{"a.csv": "a,b"}))
    assert read_manifest(io.BytesIO(data)) == MANIFEST
    assert len(list(iter_archive(io.BytesIO(data), limits=ArchiveLimits(max_entries=2)))) == 2
