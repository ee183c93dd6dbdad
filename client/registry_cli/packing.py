"""Build the archive a package directory makes.

Reproducible by construction: the same files give the same bytes, hence the same digest, whatever the
file system's order, timestamps, owner or umask. Entries are sorted, stamped with one fixed date and
mode, and deflated at zlib's default level (the same zlib gives the same bytes) unless their first
bytes show they do not compress. ``.registryignore`` (gitignore syntax, via pathspec) leaves files out;
a few things are always left out. Symbolic links are refused: the registry refuses links in archives,
and following one could pack outside files.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pathspec

from registry_cli.errors import CliError, ExitCode

MANIFEST = "publisher.json"
IGNORE_FILE = ".registryignore"
ALWAYS_IGNORED = [".git/", ".hg/", ".svn/", "__pycache__/", "*.pyc", ".DS_Store", IGNORE_FILE]
FIXED_DATE = (2000, 1, 1, 0, 0, 0)  # zip dates start in 1980; any fixed date makes the bytes stable
FILE_MODE = 0o644
CHUNK_SIZE = 1024 * 1024
SAMPLE_SIZE = 256 * 1024


@dataclass(frozen=True)
class PackedArchive:
    path: Path
    size: int
    sha256: str
    md5: str
    files: tuple[str, ...]
    manifest: dict[str, Any]


def _refuse(code: str, message: str) -> CliError:
    return CliError(code, message, exit_code=ExitCode.LOCAL)


def read_manifest(directory: Path) -> dict[str, Any]:
    manifest_path = directory / MANIFEST
    if not directory.is_dir():
        raise _refuse("NOT_A_DIRECTORY", f"{directory} is not a directory")
    if not manifest_path.is_file():
        raise _refuse("NO_MANIFEST", f"{directory} has no {MANIFEST} at its root: it is not a package directory")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _refuse("INVALID_MANIFEST", f"{manifest_path} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise _refuse("INVALID_MANIFEST", f"{manifest_path} must hold a JSON object")
    return manifest


def _ignore_spec(directory: Path) -> pathspec.GitIgnoreSpec:
    lines = list(ALWAYS_IGNORED)
    ignore_file = directory / IGNORE_FILE
    if ignore_file.is_file():
        lines.extend(ignore_file.read_text(encoding="utf-8").splitlines())
    return pathspec.GitIgnoreSpec.from_lines(lines)


def list_package_files(directory: Path) -> list[str]:
    """The package's files as sorted POSIX paths relative to ``directory``; the manifest is always in."""
    spec = _ignore_spec(directory)
    found: list[str] = []
    for root, dirnames, filenames in os.walk(directory):
        relative_root = Path(root).relative_to(directory)
        kept_dirs = []
        for name in dirnames:
            relative = (relative_root / name).as_posix()
            if (Path(root) / name).is_symlink():
                if not spec.match_file(relative + "/") and not spec.match_file(relative):
                    raise _refuse("SYMLINK_REFUSED", f"{relative} is a symbolic link; list it in {IGNORE_FILE}")
                continue
            if not spec.match_file(relative + "/"):
                kept_dirs.append(name)
        dirnames[:] = kept_dirs  # prune ignored directories so their contents are never visited
        for name in filenames:
            relative = (relative_root / name).as_posix()
            if relative != MANIFEST and spec.match_file(relative):
                continue
            mode = os.lstat(Path(root) / name).st_mode
            if stat.S_ISLNK(mode):
                raise _refuse("SYMLINK_REFUSED", f"{relative} is a symbolic link; list it in {IGNORE_FILE}")
            if not stat.S_ISREG(mode):
                raise _refuse("SPECIAL_FILE_REFUSED", f"{relative} is not a regular file")
            found.append(relative)
    return sorted(found)


def _compression_for(source: Path) -> int:
    """Stored for data that does not shrink (parquet, images, archives), else deflated.

    Decided from the file's first bytes only, so the same file always gets the same choice (and the
    archive the same bytes); deflating incompressible data would cost the most time for no gain.
    """
    with source.open("rb") as handle:
        sample = handle.read(SAMPLE_SIZE)
    if len(sample) < SAMPLE_SIZE // 4:
        return zipfile.ZIP_DEFLATED
    return zipfile.ZIP_STORED if len(zlib.compress(sample, 1)) >= 0.95 * len(sample) else zipfile.ZIP_DEFLATED


def _zip_entry(path: str, size: int, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=FIXED_DATE)
    info.compress_type = compress_type
    info.create_system = 3  # Unix, whatever machine packs it, so the bytes do not depend on the OS
    info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
    info.file_size = size  # lets zipfile pick zip64 up front for large files
    return info


def _digest_file(path: Path) -> tuple[int, str, str]:
    sha256, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            sha256.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return size, sha256.hexdigest(), md5.hexdigest()


def pack(directory: Path, *, output: Path) -> PackedArchive:
    """Write the zip of ``directory`` to ``output`` (streamed, never whole in memory) and digest it."""
    directory = directory.resolve()
    manifest = read_manifest(directory)
    files = list_package_files(directory)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative in files:
            source = directory / relative
            info = _zip_entry(relative, source.stat().st_size, _compression_for(source))
            with source.open("rb") as reader, archive.open(info, "w") as writer:
                while chunk := reader.read(CHUNK_SIZE):
                    writer.write(chunk)
    size, sha256, md5 = _digest_file(output)
    return PackedArchive(path=output, size=size, sha256=sha256, md5=md5, files=tuple(files), manifest=manifest)
