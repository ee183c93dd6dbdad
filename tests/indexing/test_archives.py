import io
import json
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packages_app.archives import ArchiveLimits, iter_archive, read_manifest
from registry.errors import RegistryError

from .builders import MANIFEST, manifest_files, tar_gz_bytes, tar_member, zip_bytes

BUILDERS = {"zip": zip_bytes, "tar.gz": tar_gz_bytes}


def refusal(data: bytes, **limits) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        list_archive(data, **limits)
    assert caught.value.code == "INVALID_ARCHIVE"
    assert caught.value.status == 400
    return caught.value


def list_archive(data: bytes, **limits) -> dict[str, bytes]:
    return {entry.path: entry.stream.read() for entry in iter_archive(io.BytesIO(data), limits=ArchiveLimits(**limits))}


@pytest.mark.parametrize("fmt", BUILDERS)
def test_read_manifest_returns_the_root_publisher_json(fmt):
    data = BUILDERS[fmt](manifest_files(**{"models/a.malloy": "source: a is duckdb.table('a.csv')"}))
    assert read_manifest(io.BytesIO(data)) == MANIFEST


@pytest.mark.parametrize("fmt", BUILDERS)
def test_read_manifest_rewinds_the_file_for_storing(fmt):
    fileobj = io.BytesIO(BUILDERS[fmt](manifest_files()))
    read_manifest(fileobj)
    assert fileobj.tell() == 0


@pytest.mark.parametrize("fmt", BUILDERS)
def test_read_manifest_accepts_a_dot_slash_prefix(fmt):
    data = BUILDERS[fmt]({"./publisher.json": json.dumps(MANIFEST)})
    assert read_manifest(io.BytesIO(data)) == MANIFEST


@pytest.mark.parametrize("fmt", BUILDERS)
def test_read_manifest_refuses_an_archive_without_a_root_manifest(fmt):
    data = BUILDERS[fmt]({"nested/publisher.json": json.dumps(MANIFEST)})
    with pytest.raises(RegistryError, match=r"no publisher\.json at its root") as caught:
        read_manifest(io.BytesIO(data))
    assert caught.value.code == "INVALID_ARCHIVE"


@pytest.mark.parametrize("fmt", BUILDERS)
@pytest.mark.parametrize("content", ["[1, 2]", "not json {", '"text"'])
def test_read_manifest_refuses_a_manifest_that_is_not_a_json_object(fmt, content):
    data = BUILDERS[fmt]({"publisher.json": content})
    with pytest.raises(RegistryError) as caught:
        read_manifest(io.BytesIO(data))
    assert caught.value.code == "INVALID_ARCHIVE"
    assert "publisher.json" in caught.value.message


def test_read_manifest_refuses_a_file_that_is_neither_zip_nor_tar_gz():
    with pytest.raises(RegistryError, match=r"neither a zip nor a tar\.gz") as caught:
        read_manifest(io.BytesIO(b"just some text, not an archive"))
    assert caught.value.status == 400


def test_read_manifest_refuses_gzip_data_that_is_not_a_tar():
    import gzip

    with pytest.raises(RegistryError) as caught:
        read_manifest(io.BytesIO(gzip.compress(b"plain text inside gzip" * 100)))
    assert caught.value.code == "INVALID_ARCHIVE"


@pytest.mark.parametrize("fmt", BUILDERS)
def test_an_entry_climbing_out_with_dot_dot_is_refused_with_its_name(fmt):
    error = refusal(BUILDERS[fmt](manifest_files(**{"../../etc/passwd": "root:x:0:0"})))
    assert error.message == "entry ../../etc/passwd escapes the archive root"
    assert error.details["entry"] == "../../etc/passwd"


@pytest.mark.parametrize("fmt", BUILDERS)
def test_a_dot_dot_in_the_middle_of_a_path_is_refused(fmt):
    error = refusal(BUILDERS[fmt](manifest_files(**{"models/../../x.malloy": "x"})))
    assert "escapes the archive root" in error.message


@pytest.mark.parametrize("fmt", BUILDERS)
def test_an_absolute_path_is_refused(fmt):
    error = refusal(BUILDERS[fmt](manifest_files(**{"/etc/passwd": "root"})))
    assert error.message == "entry /etc/passwd has an absolute path"


def test_a_windows_drive_path_is_refused():
    error = refusal(zip_bytes(manifest_files(**{"C:\\Windows\\evil.dll": "x"})))
    assert "absolute path" in error.message


def test_a_zip_symlink_is_refused():
    error = refusal(zip_bytes(manifest_files(), symlinks={"link": "/etc/passwd"}))
    assert error.message == "entry link is a symbolic link"


def test_a_tar_symlink_is_refused():
    error = refusal(tar_gz_bytes(manifest_files(), special=[tar_member("link", tarfile.SYMTYPE, "/etc/passwd")]))
    assert error.message == "entry link is a symbolic link to /etc/passwd"


def test_a_tar_hard_link_is_refused():
    error = refusal(tar_gz_bytes(manifest_files(), special=[tar_member("hard", tarfile.LNKTYPE, "publisher.json")]))
    assert error.message == "entry hard is a hard link to publisher.json"


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_tar_device_and_fifo_entries_are_refused(kind):
    error = refusal(tar_gz_bytes(manifest_files(), special=[tar_member("dev/thing", kind)]))
    assert error.message == "entry dev/thing is a device or fifo"


def test_a_zip_fifo_entry_is_refused():
    import stat

    error = refusal(zip_bytes(manifest_files(**{"pipe": ""}), modes={"pipe": stat.S_IFIFO | 0o644}))
    assert error.message == "entry pipe is a device or fifo"


@pytest.mark.parametrize("fmt", BUILDERS)
def test_duplicate_paths_are_refused(fmt):
    files = manifest_files(**{"a.malloy": "one"})
    files["./a.malloy"] = "two"
    error = refusal(BUILDERS[fmt](files))
    assert error.message == "entry ./a.malloy appears more than once"


@pytest.mark.parametrize("fmt", BUILDERS)
def test_more_entries_than_the_cap_are_refused(fmt):
    files = manifest_files(**{f"data/{n}.csv": "a,b" for n in range(5)})
    error = refusal(BUILDERS[fmt](files), max_entries=5)
    assert error.message == "the archive has more than 5 entries"


@pytest.mark.parametrize("fmt", BUILDERS)
def test_the_entry_count_cap_is_inclusive(fmt):
    files = manifest_files(**{f"data/{n}.csv": "a,b" for n in range(4)})
    assert len(list_archive(BUILDERS[fmt](files), max_entries=5)) == 5


@pytest.mark.parametrize("fmt", BUILDERS)
def test_a_total_uncompressed_size_over_the_cap_is_refused(fmt):
    files = manifest_files(**{"big.csv": "x" * 600, "big2.csv": "y" * 600})
    error = refusal(BUILDERS[fmt](files), max_total_size=1000)
    assert error.message == "the archive unpacks to more than 1000 bytes"


def test_a_zip_bomb_entry_over_the_compression_ratio_is_refused():
    bomb = zip_bytes(manifest_files(**{"bomb.csv": b"\0" * (20 * 1024 * 1024)}))
    error = refusal(bomb)
    assert error.message == "entry bomb.csv expands more than 200:1 (a compression bomb?)"


def test_a_tar_gz_bomb_over_the_compression_ratio_is_refused():
    bomb = tar_gz_bytes(manifest_files(**{"bomb.csv": b"\0" * (20 * 1024 * 1024)}))
    error = refusal(bomb)
    assert "expands more than 200:1" in error.message


def test_small_repetitive_files_are_not_mistaken_for_bombs():
    data = zip_bytes(manifest_files(**{"zeros.csv": b"0" * 100_000}))
    assert len(list_archive(data)["zeros.csv"]) == 100_000


@pytest.mark.parametrize("fmt", BUILDERS)
def test_a_truncated_archive_fails_cleanly(fmt):
    files = manifest_files(**{f"models/{n}.malloy": f"source: s{n} is t -> {{}}" * 200 for n in range(20)})
    data = BUILDERS[fmt](files)
    error = refusal(data[: len(data) // 2])
    assert "truncated or corrupt" in error.message or "no publisher.json" in error.message


def test_a_zip_whose_content_was_altered_fails_its_crc_check():
    data = bytearray(zip_bytes(manifest_files(**{"a.csv": b"abc" * 1000})))
    compressed_start = data.find(b"a.csv") + len(b"a.csv")
    data[compressed_start + 2] ^= 0xFF
    error = refusal(bytes(data))
    assert "corrupt" in error.message


@pytest.mark.parametrize("fmt", BUILDERS)
def test_regular_files_are_listed_with_their_content_and_directories_skipped(fmt):
    files = manifest_files(**{"models/a.malloy": "source: a", "data/x.csv": "a,b\n1,2\n"})
    if fmt == "tar.gz":
        data = tar_gz_bytes(files, special=[tar_member("models", tarfile.DIRTYPE)])
    else:
        data = zip_bytes({**files, "models/": ""})
    listed = list_archive(data)
    assert listed == {
        "publisher.json": json.dumps(MANIFEST).encode(),
        "models/a.malloy": b"source: a",
        "data/x.csv": b"a,b\n1,2\n",
    }


def test_limits_come_from_settings(settings):
    settings.ARCHIVE_MAX_ENTRIES = 7
    settings.ARCHIVE_MAX_TOTAL_SIZE = 1234
    settings.ARCHIVE_MAX_COMPRESSION_RATIO = 50
    assert ArchiveLimits.from_settings() == ArchiveLimits(max_entries=7, max_total_size=1234, max_ratio=50)


def test_a_zip_declaring_too_many_entries_is_refused_before_its_directory_is_read(monkeypatch):
    import zipfile

    data = zip_bytes(manifest_files(**{f"d/{n}.csv": "a" for n in range(10)}))

    def must_not_open(*args, **kwargs):
        raise AssertionError("the central directory was read")

    monkeypatch.setattr(zipfile.ZipFile, "__init__", must_not_open)
    error = refusal(data, max_entries=5)
    assert error.message == "the archive has more than 5 entries"


def test_a_zip_entry_with_an_unknown_compression_method_is_refused():
    data = bytearray(zip_bytes(manifest_files(**{"a.csv": "a,b"})))
    # The method field: 8 bytes into a local header, 10 into a central directory record.
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset : start + offset + 2] = (99).to_bytes(2, "little")
            start += 4
    error = refusal(bytes(data))
    assert error.message == "entry publisher.json uses an unsupported compression method (99)"


@pytest.mark.parametrize("length", [2, 3, 5, 9])
def test_a_tar_gz_cut_inside_its_gzip_header_is_refused(length):
    error = refusal(tar_gz_bytes(manifest_files())[:length])
    assert "truncated or corrupt" in error.message


SAMPLE = {
    fmt: build(manifest_files(**{"m.malloy": "source: a is t", "d.csv": "a,b\n" * 50}))
    for fmt, build in BUILDERS.items()
}


@settings(max_examples=200, deadline=None)
@given(
    fmt=st.sampled_from(sorted(BUILDERS)),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=255)), max_size=4),
    cut=st.integers(min_value=0),
)
def test_damaged_archives_are_refused_cleanly_or_read(fmt, flips, cut):
    data = bytearray(SAMPLE[fmt])
    for position, mask in flips:
        data[position % len(data)] ^= mask
    data = bytes(data[: len(data) - cut % len(data)])
    outcome = "read"
    try:
        list_archive(data)
    except RegistryError as error:  # any other exception type fails the test
        outcome = error.code
    assert outcome in ("read", "INVALID_ARCHIVE")
