"""Build archives in memory for tests, including malicious ones the archive reader must refuse."""

import io
import json
import stat
import tarfile
import zipfile

MANIFEST = {"name": "sales", "description": "Sales models", "explores": ["orders"]}


def zip_bytes(
    files: dict[str, bytes | str], *, symlinks: dict[str, str] | None = None, modes: dict[str, int] | None = None
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if modes and name in modes:
                info.create_system = 3
                info.external_attr = modes[name] << 16
            archive.writestr(info, content)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return buffer.getvalue()


def tar_gz_bytes(files: dict[str, bytes | str], *, special: list[tarfile.TarInfo] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info in special or []:
            archive.addfile(info)
    return buffer.getvalue()


def tar_member(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def manifest_files(manifest: dict | None = None, **extra: bytes | str) -> dict[str, bytes | str]:
    return {"publisher.json": json.dumps(manifest or MANIFEST), **extra}
