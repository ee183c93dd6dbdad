"""Upload benchmark: a 100 MB archive through the real v0 endpoint, served by gunicorn on PostgreSQL.

    python bench/upload.py                       # DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/registry_bench
    python bench/upload.py --size-mb 200

Prints, in one run: the upload throughput (curl, the seed's multipart request), the same file through
``md5sum``, ``sha256sum`` and ``cp`` on the same disk, the ratio of the three tools' combined time to the
upload's time (target >= 0.5), and the growth of the gunicorn worker's peak RSS during the upload
(target < 64 MB). The archive, the upload temporary files and the artifact storage all live in one
scratch folder under ``var/`` so every figure is measured on the same disk.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a script from anywhere

from bench.gunicorn_server import start_gunicorn, stop_gunicorn

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/registry_bench"
MB = 1024 * 1024


def build_archive(path: Path, size_mb: int) -> None:
    """A zip with publisher.json and ``size_mb`` MB of incompressible data, stored (no deflate)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("publisher.json", json.dumps({"name": "big", "description": "upload benchmark"}))
        with archive.open("data/blob.bin", "w", force_zip64=True) as member:
            for _ in range(size_mb):
                member.write(os.urandom(MB))


def md5_of(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as stream:
        while chunk := stream.read(MB):
            digest.update(chunk)
    return digest.hexdigest()


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def drop_page_cache_hint(path: Path) -> None:
    # Read the file once so every measurement starts from the same (warm) page cache.
    with path.open("rb") as stream:
        while stream.read(8 * MB):
            pass


def proc_status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def prepare_database(env: dict[str, str]) -> str:
    """Migrate the benchmark database and create acme/finance, a modeler and their token. Returns the secret."""
    script = """
import django; django.setup()
from django.contrib.auth import get_user_model
from registry.models import Grant, Organization, Project
from registry.tokens import issue_token
user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"email": "bench@example.com"})
organization, _ = Organization.objects.get_or_create(name="acme")
project, _ = Project.objects.get_or_create(organization=organization, name="finance")
Grant.objects.get_or_create(project=project, user=user, defaults={"role": "modeler"})
from packages_app.models import Package, UsedVersionNumber
Package.objects.filter(project=project, name__startswith="big").delete()
UsedVersionNumber.objects.filter(project=project, package_name__startswith="big").delete()
import uuid
print(issue_token(user=user, name="bench-" + uuid.uuid4().hex)[1])
"""
    url = env["DATABASE_URL"]
    dbname = url.rsplit("/", 1)[-1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"import psycopg; c=psycopg.connect({admin_url!r}, autocommit=True); "
            f"exists=c.execute('select 1 from pg_database where datname=%s', ({dbname!r},)).fetchone(); "
            f"exists or c.execute('create database \"{dbname}\"')",
        ],
        check=True,
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]


def upload(base: str, token: str, package: str, version: str, path: Path, md5: str) -> tuple[int, float, str]:
    """The seed's curl command with real values. Returns (status, seconds, body)."""
    command = [
        "curl", "-sS", "--request", "POST",
        "--url", f"{base}/api/v0/organizations/acme/projects/finance/packages/{package}",
        "--header", f"Authorization: Bearer {token}",
        "--header", "Content-Type: multipart/form-data",
        "--form", "package=" + json.dumps({"name": package, "description": "benchmark", "replicationCount": 1}),
        "--form", "version=" + json.dumps({"id": version}),
        "--form", f"packageFile=@{path}",
        "--form", f"md5Hash={md5}",
        "--output", "-", "--write-out", "\n%{http_code}",
    ]  # fmt: skip
    start = time.perf_counter()
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    body, _, code = result.stdout.rpartition("\n")
    return int(code), elapsed, body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-upload-", dir=ROOT / "var"))
    (scratch / "tmp").mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(scratch / "media"),
        "FILE_UPLOAD_TEMP_DIR": str(scratch / "tmp"),
        "REGISTRY_VAR_DIR": str(scratch),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.pop("REDIS_URL", None)
    server = None
    try:
        token = prepare_database(env)
        archive = scratch / "big.zip"
        small = scratch / "small.zip"
        build_archive(archive, args.size_mb)
        build_archive(small, 1)
        size = archive.stat().st_size
        md5 = md5_of(archive)

        server, base = start_gunicorn(env)

        # Warm the worker (imports, connections) with a small upload before measuring.
        status, _, body = upload(base, token, "big-warmup", "1.0.0", small, md5_of(small))
        if status not in (200, 201):
            raise RuntimeError(f"warm-up upload failed: {status} {body}")
        (worker,) = worker_pids(server.pid)
        peak_before = proc_status_kb(worker, "VmHWM")

        drop_page_cache_hint(archive)
        status, upload_seconds, body = upload(base, token, "big", "1.0.0", archive, md5)
        if status != 201:
            raise RuntimeError(f"upload failed: {status} {body}")
        peak_after = proc_status_kb(worker, "VmHWM")

        md5_seconds = timed(["md5sum", str(archive)])
        sha_seconds = timed(["sha256sum", str(archive)])
        cp_seconds = timed(["cp", str(archive), str(scratch / "copy.zip")])
        tools = md5_seconds + sha_seconds + cp_seconds

        def rate(seconds: float) -> str:
            return f"{size / MB / seconds:8.1f} MB/s ({seconds:6.2f} s)"

        print(f"file: {size / MB:.1f} MB zip, database {env['DATABASE_URL'].rsplit('@', 1)[-1]}, gunicorn 1 worker")
        print(f"upload (curl -> gunicorn -> PostgreSQL/filesystem): {rate(upload_seconds)}")
        print(f"md5sum:    {rate(md5_seconds)}")
        print(f"sha256sum: {rate(sha_seconds)}")
        print(f"cp:        {rate(cp_seconds)}")
        print(f"md5sum + sha256sum + cp: {rate(tools)}")
        ratio = tools / upload_seconds
        print(f"ratio (tools time / upload time): {ratio:.2f}  (target >= 0.5: {'ok' if ratio >= 0.5 else 'MISSED'})")
        growth = (peak_after - peak_before) / 1024
        print(
            f"server worker peak RSS: {peak_before / 1024:.1f} MB -> {peak_after / 1024:.1f} MB, growth {growth:.1f} MB"
            f"  (target < 64 MB: {'ok' if growth < 64 else 'MISSED'})"
        )
        return 0
    finally:
        if server is not None:
            stop_gunicorn(server)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
