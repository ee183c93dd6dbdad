"""`pack`: reproducible archives, the ignore file, and refusing what is not a package."""

import hashlib
import os
import zipfile

import pytest
from registry_cli import packing
from registry_cli.errors import CliError, ExitCode

from tests.client.conftest import write_package


def test_packing_the_same_files_twice_gives_identical_bytes(package_dir, tmp_path):
    first = packing.pack(package_dir, output=tmp_path / "first.zip")
    for path in package_dir.rglob("*"):
        os.utime(path, (1_000_000, 1_000_000))  # other timestamps must not change the bytes
    (package_dir / "data" / "entries.csv").chmod(0o600)  # nor other permissions
    second = packing.pack(package_dir, output=tmp_path / "second.zip")

    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    assert first.md5 == hashlib.md5(first.path.read_bytes()).hexdigest()


def test_packing_a_copy_made_in_another_order_gives_the_same_digest(package_dir, tmp_path):
    copy = tmp_path / "copy"
    for relative in sorted((p.relative_to(package_dir) for p in package_dir.rglob("*") if p.is_file()), reverse=True):
        write_package(copy, {str(relative): (package_dir / relative).read_bytes()})

    assert (
        packing.pack(copy, output=tmp_path / "a.zip").sha256
        == packing.pack(package_dir, output=tmp_path / "b.zip").sha256
    )


def test_changing_one_byte_changes_the_digest(package_dir, tmp_path):
    before = packing.pack(package_dir, output=tmp_path / "before.zip")
    (package_dir / "ledger.malloy").write_text("source: entries is duckdb.table('data/other.csv')\n")

    assert packing.pack(package_dir, output=tmp_path / "after.zip").sha256 != before.sha256


def test_the_archive_holds_sorted_posix_paths_with_the_manifest_at_its_root(package_dir, tmp_path):
    archive = packing.pack(package_dir, output=tmp_path / "out.zip")

    with zipfile.ZipFile(archive.path) as opened:
        names = opened.namelist()
        assert opened.read("publisher.json") == (package_dir / "publisher.json").read_bytes()
    assert names == ["data/entries.csv", "ledger.malloy", "publisher.json"]
    assert list(archive.files) == names


def test_the_ignore_file_leaves_out_matching_files_and_directories(package_dir, tmp_path):
    write_package(
        package_dir,
        {
            ".registryignore": "# scratch\n*.tmp\nbuild/\n!keep.tmp\n",
            "notes.tmp": "x",
            "keep.tmp": "kept by negation",
            "build/out.bin": "x",
            "models/build.malloy": "a file named like the ignored directory stays",
        },
    )

    files = packing.list_package_files(package_dir)

    assert "notes.tmp" not in files
    assert "build/out.bin" not in files
    assert "keep.tmp" in files
    assert "models/build.malloy" in files
    assert ".registryignore" not in files


def test_version_control_and_cache_directories_are_always_left_out(package_dir):
    write_package(package_dir, {".git/HEAD": "ref", "__pycache__/x.pyc": b"\0", "sub/.DS_Store": b"\0"})

    assert packing.list_package_files(package_dir) == ["data/entries.csv", "ledger.malloy", "publisher.json"]


def test_the_manifest_is_packed_even_when_the_ignore_file_matches_it(package_dir):
    write_package(package_dir, {".registryignore": "*.json\n"})

    assert "publisher.json" in packing.list_package_files(package_dir)


def test_a_directory_without_publisher_json_is_refused(tmp_path):
    directory = write_package(tmp_path / "nomanifest", {"model.malloy": "source: a is b"})

    with pytest.raises(CliError) as refused:
        packing.pack(directory, output=tmp_path / "out.zip")

    assert refused.value.code == "NO_MANIFEST"
    assert refused.value.exit_code == ExitCode.LOCAL
    assert not (tmp_path / "out.zip").exists()


@pytest.mark.parametrize("manifest", ["not json", "[1, 2]"])
def test_a_manifest_that_is_not_a_json_object_is_refused(tmp_path, manifest):
    directory = write_package(tmp_path / "bad", {"publisher.json": manifest})

    with pytest.raises(CliError) as refused:
        packing.read_manifest(directory)

    assert refused.value.code == "INVALID_MANIFEST"


def test_a_symbolic_link_is_refused_unless_ignored(package_dir, tmp_path):
    outside = write_package(tmp_path / "outside", {"secret.txt": "do not pack"})
    (package_dir / "link.txt").symlink_to(outside / "secret.txt")

    with pytest.raises(CliError) as refused:
        packing.list_package_files(package_dir)
    assert refused.value.code == "SYMLINK_REFUSED"

    write_package(package_dir, {".registryignore": "link.txt\n"})
    assert "link.txt" not in packing.list_package_files(package_dir)


def test_pack_command_prints_the_digests_as_json(run_cli, package_dir, tmp_path):
    result = run_cli("pack", str(package_dir), "-o", str(tmp_path / "out.zip"), "--json")

    assert result.exit_code == 0
    document = result.json()
    assert document["sha256"] == hashlib.sha256((tmp_path / "out.zip").read_bytes()).hexdigest()
    assert document["files"] == ["data/entries.csv", "ledger.malloy", "publisher.json"]


def test_pack_command_on_a_directory_without_manifest_exits_10(run_cli, tmp_path):
    result = run_cli("pack", str(tmp_path))

    assert result.exit_code == ExitCode.LOCAL == 10
    assert result.stderr.startswith("NO_MANIFEST: ")


def test_incompressible_files_are_stored_and_text_is_deflated(package_dir, tmp_path):
    write_package(package_dir, {"data/events.parquet": os.urandom(300_000)})

    archive = packing.pack(package_dir, output=tmp_path / "out.zip")

    with zipfile.ZipFile(archive.path) as opened:
        assert opened.getinfo("data/events.parquet").compress_type == zipfile.ZIP_STORED
        assert opened.getinfo("ledger.malloy").compress_type == zipfile.ZIP_DEFLATED
        assert opened.read("data/events.parquet") == (package_dir / "data" / "events.parquet").read_bytes()
    assert packing.pack(package_dir, output=tmp_path / "again.zip").sha256 == archive.sha256
