"""Archives built to exhaust memory or time through their own structures, not their file data (``bombs``).

Each is refused as INVALID_ARCHIVE within a small, measured memory peak. How long each takes to refuse is
a figure, not a test: ``bench/hostile_inputs.py`` prints it.
"""

import io
import random
import struct
import tarfile
import tracemalloc
import zipfile

import pytest

from packages_app.archives import ArchiveLimits, iter_archive, read_manifest
from registry.errors import RegistryError

from .bombs import (
    BLOCK,
    GNU_LONG_LINK,
    GNU_LONG_NAME,
    LONG_NAME,
    MANIFEST_BYTES,
    PAX_HEADER,
    MiB,
    as_zip64,
    chain_of_extension_headers,
    empty_name_zip,
    end_record,
    end_record_hidden_in_the_comment,
    endless_gnu_sparse_header,
    endless_pax_sparse_map,
    global_pax_headers_adding_up,
    headers_past_their_allowance,
    huge_global_pax_header,
    huge_header_extension,
    lying_zip,
    name_longer_than_a_path,
)
from .builders import MANIFEST, manifest_files, tar_gz_bytes, zip_bytes

PEAK_LIMIT = 50 * MiB


def read_whole(fileobj: io.BytesIO, limits: dict) -> None:
    if not limits:
        read_manifest(fileobj)
    for entry in iter_archive(fileobj, limits=ArchiveLimits(**limits)):
        entry.stream.read()


def refused_within_bounds(data: bytes, **limits) -> RegistryError:
    """Read the archive (as uploads are, or with these limits), expecting INVALID_ARCHIVE in bounded memory."""
    fileobj = io.BytesIO(data)
    tracemalloc.start()
    try:
        with pytest.raises(RegistryError) as caught:
            read_whole(fileobj, limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.code == "INVALID_ARCHIVE"
    assert caught.value.status == 400
    assert peak < PEAK_LIMIT, f"peak memory {peak / MiB:.1f} MiB"
    return caught.value


# --- tar.gz ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [GNU_LONG_NAME, GNU_LONG_LINK, PAX_HEADER])
def test_a_400_mib_tar_header_extension_is_refused_before_it_is_read(kind):
    data = huge_header_extension(kind)
    assert len(data) < 2 * MiB
    error = refused_within_bounds(data)
    assert error.message == "a tar header extension is larger than 64 KiB"


def test_a_global_pax_header_over_the_cap_is_refused():
    error = refused_within_bounds(huge_global_pax_header())
    assert error.message == "a tar header extension is larger than 64 KiB"


def test_global_pax_headers_that_add_up_past_the_cap_are_refused():
    error = refused_within_bounds(global_pax_headers_adding_up())
    assert error.message == "a tar header extension is larger than 64 KiB"


def test_a_chain_of_extension_headers_in_front_of_one_entry_is_refused():
    error = refused_within_bounds(chain_of_extension_headers())
    assert error.message == "a tar entry has more than 8 header extensions"


def test_a_gnu_sparse_file_is_refused_before_its_endless_map_is_read():
    error = refused_within_bounds(endless_gnu_sparse_header())
    assert error.message == "entry sparse.csv is a sparse file"


def test_a_pax_sparse_file_is_refused_before_its_endless_map_is_read():
    error = refused_within_bounds(endless_pax_sparse_map())
    assert error.message == "entry GNUSparseFile.0/sparse.csv is a sparse file"


def test_entries_with_names_longer_than_a_path_can_be_are_refused():
    error = refused_within_bounds(name_longer_than_a_path())
    assert error.message == f"entry {LONG_NAME[:100]}... has a name longer than 4096 characters"


def test_a_tar_gz_unpacking_past_its_header_allowance_is_refused():
    data = headers_past_their_allowance()
    error = refused_within_bounds(data, max_entries=10)
    limit = max(1 * MiB, 200 * len(data)) + 11 * 8 * BLOCK + 1 * MiB
    assert error.message == f"the tar.gz archive unpacks to more than {limit} bytes (a compression bomb?)"
    assert error.details == {"limit": limit}


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


@pytest.mark.parametrize("zip64", [False, True], ids=["zip", "zip64"])
def test_a_zip_declaring_one_entry_over_a_huge_central_directory_is_refused(zip64):
    data = lying_zip(100_000, zip64=zip64)
    assert len(data) < 5 * MiB
    error = refused_within_bounds(data)
    assert error.message == "the archive has more than 10000 entries"


def test_a_zip_entry_with_an_empty_name_is_refused_rather_than_crashing():
    error = refused_within_bounds(empty_name_zip(), max_entries=5)
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


def test_an_end_record_hidden_in_the_zip_comment_is_the_one_counted(zipfile_never_opened):
    # zipfile takes the last end-record signature, inside the comment: its directory is the one to count.
    error = refused_within_bounds(end_record_hidden_in_the_comment(1200), max_entries=1000)
    assert error.message == "the archive has more than 1000 entries"


def zip_with_comment() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.comment = b"made by hand " * 100
        for name, content in manifest_files(**{f"d/{n}.csv": "a" for n in range(5)}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def appended_zip() -> bytes:
    return zip_bytes(manifest_files(**{"a.csv": "a"})) + zip_bytes(
        manifest_files(**{f"d/{n}.csv": "a" for n in range(4)})
    )


READABLE_ZIPS = {
    "zip": lambda: zip_bytes(manifest_files(**{f"d/{n}.csv": "a" for n in range(5)})),
    "zip with a comment": zip_with_comment,
    "zip appended to another": appended_zip,
    "zip64": lambda: as_zip64(zip_bytes(manifest_files(**{f"d/{n}.csv": "a" for n in range(5)}))),
}
ZIPS = {
    **READABLE_ZIPS,
    "end record hidden in the comment": lambda: end_record_hidden_in_the_comment(20),
    "zip declaring fewer entries than it has": lambda: lying_zip(20),
    "zip64 declaring fewer entries than it has": lambda: lying_zip(20, zip64=True),
}


@pytest.mark.parametrize("build", ZIPS.values(), ids=ZIPS)
def test_the_count_is_of_the_records_zipfile_reads(build, request):
    # Pins the end-record reading to this Python's zipfile: a cap one under its count refuses the zip unopened.
    data = build()
    records = len(zipfile.ZipFile(io.BytesIO(data)).infolist())
    request.getfixturevalue("zipfile_never_opened")
    error = refused_within_bounds(data, max_entries=records - 1)
    assert error.message == f"the archive has more than {records - 1} entries"


@pytest.mark.parametrize("build", READABLE_ZIPS.values(), ids=READABLE_ZIPS)
def test_a_zip_with_as_many_entries_as_the_cap_is_read(build):
    data = build()
    records = len(zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert len(list(iter_archive(io.BytesIO(data), limits=ArchiveLimits(max_entries=records)))) == records


@pytest.mark.parametrize("cut", [1, 2, 10, 21, 22, 30])
def test_a_zip_cut_inside_its_end_record_is_refused_cleanly(cut):
    data = zip_bytes(manifest_files())
    error = refused_within_bounds(data[:-cut])
    assert "truncated or corrupt" in error.message


@pytest.mark.parametrize(
    ("end", "message"),
    [
        (end_record(1, 0xFFFFFFFF, 0), "the zip archive is truncated or corrupt (Bad offset for central directory)"),
        (end_record(3, 10, 0xFFFFFFFF), "the zip archive is truncated or corrupt (Truncated central directory)"),
        (b"PK\x06\x07" + bytes(16) + end_record(0, 0, 0), "the archive has no publisher.json at its root"),
        (
            b"PK\x06\x07\x05" + bytes(15) + end_record(0, 0, 0),
            "the zip archive is truncated or corrupt (zipfiles that span multiple disks are not supported)",
        ),
    ],
    ids=["directory larger than the file", "directory cut short", "zip64 locator alone", "zip64 on another disk"],
)
def test_a_zip_whose_end_records_are_garbage_is_refused_cleanly(end, message):
    data = zip_bytes(manifest_files())
    error = refused_within_bounds(data[: data.rindex(b"PK\x05\x06")] + end)
    assert error.message == message
