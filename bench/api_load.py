"""Read-path load benchmark: gunicorn on PostgreSQL with a synthetic registry, driven by wrk, beside Verdaccio.

    python bench/api_load.py                     # 2 gunicorn workers, 10 s per endpoint, 16 connections
    python bench/api_load.py --workers 4 --seconds 20 --verdaccio-harness PATH/TO/verdaccio-bench.sh

Builds (with bulk_create, not through HTTP) 1,000 packages x 20 versions in a fresh PostgreSQL database,
starts gunicorn (``config/gunicorn.conf.py``) in the production shape (Redis for cache and broker, no
Celery worker needed for reads), and prints requests/s, p50 and p99 from ``wrk`` for: package detail,
package list, version list, the download of a 1 MB artifact, and a conditional GET answered 304. Then
the sequential v0 publish rate of 100 kB archives (after a concurrent warm-up, as for reads). Given
``--verdaccio-harness PATH`` (the peer's ``verdaccio-bench.sh``, which is not part of this repository),
it then runs Verdaccio's package document and publish rate on the same machine, so both sides are
printed in one run; without it the comparison is skipped and the run says so.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a script from anywhere

from bench.gunicorn_server import start_gunicorn, stop_gunicorn

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/registry_bench_api_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
PACKAGES, VERSIONS = 1000, 20
ORG, PROJECT = "bench", "load"
KB, MB = 1024, 1024 * 1024


# --- The synthetic registry (runs in a child process with the benchmark's environment) ---------------


def archive_bytes(name: str, version: str, size: int) -> bytes:
    """A zip with publisher.json and ``size`` bytes of incompressible data."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("publisher.json", json.dumps({"name": name, "version": version, "description": "bench"}))
        archive.writestr("data/blob.bin", os.urandom(size))
    return buffer.getvalue()


def seed() -> None:
    """1,000 packages x 20 versions under bench/load, a 1 MB artifact on package-0000@1.0.0, a token."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from packages_app.blobs import digest_stream, store_artifact
    from packages_app.models import IndexStatus, Package, UsedVersionNumber, Version
    from registry.models import Grant, Organization, Project, Role
    from registry.tokens import issue_token

    started = time.perf_counter()
    user = get_user_model().objects.create(username="bench", email="bench@example.com")
    organization = Organization.objects.create(name=ORG, display_name="Bench")
    project = Project.objects.create(organization=organization, name=PROJECT)
    Grant.objects.create(organization=organization, user=user, role=Role.ADMIN)

    def stored(data: bytes):
        stream = io.BytesIO(data)
        return store_artifact(stream=stream, digests=digest_stream(stream), media_type="application/zip")

    shared = stored(archive_bytes("shared", "1.0.0", 4 * KB))  # identical bytes share one artifact
    big = stored(archive_bytes("package-0000", "1.0.0", MB))
    now = timezone.now()
    with transaction.atomic():
        count = int(os.environ.get("BENCH_SEED_PACKAGES", PACKAGES))
        packages = Package.objects.bulk_create(
            Package(
                project=project,
                name=f"package-{n:04d}",
                description=f"Synthetic package {n} for the load benchmark",
                resource_identifier=f"{ORG}/{PROJECT}/package-{n:04d}",
                tags=["bench"],
            )
            for n in range(count)
        )
        numbers = [(1 + i // 10, i % 10, 0) for i in range(VERSIONS)]  # 1.0.0 .. 2.9.0
        versions, used = [], []
        for package in packages:
            for major, minor, patch in numbers:
                label = f"{major}.{minor}.{patch}"
                artifact = big if (package.name == "package-0000" and label == "1.0.0") else shared
                versions.append(
                    Version(
                        package=package,
                        version=label,
                        major=major,
                        minor=minor,
                        patch=patch,
                        description=f"{package.name} {label}",
                        author=user,
                        artifact=artifact,
                        manifest={"name": package.name},
                        index_status=IndexStatus.INDEXED,
                        indexed_at=now,
                    )
                )
                used.append(
                    UsedVersionNumber(project=project, package_name=package.name, version=label, sha256=artifact.sha256)
                )
        Version.objects.bulk_create(versions, batch_size=5000)
        UsedVersionNumber.objects.bulk_create(used, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics, as a live database has them (autovacuum would, later)
    _, secret = issue_token(user=user, name=f"bench-{uuid.uuid4().hex[:8]}")
    print(json.dumps({"token": secret, "seconds": time.perf_counter() - started, "versions": len(versions)}))


# --- Driving it ------------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def production_env(*, database_url: str, redis_url: str, scratch: Path) -> dict[str, str]:
    """The environment of the production shape for a benchmark: PostgreSQL, Redis as cache and broker.

    No Celery worker is needed: publishes enqueue, and nothing waits for the tasks. ``scratch`` holds the
    artifacts and upload temporary files.
    """
    (scratch / "tmp").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key",
        "ALLOWED_HOSTS": "127.0.0.1",
        "REGISTRY_VAR_DIR": str(scratch),
        "FILE_UPLOAD_TEMP_DIR": str(scratch / "tmp"),
        "CACHE_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "REGISTRY_RATE_TOKEN": "100000000/minute",  # the rate limit must not cap the run
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    return env


def build_registry(env: dict[str, str], *, packages: int) -> dict:
    """A fresh database and cache with ``packages`` synthetic packages (see :func:`seed`); its token."""
    recreate_database(env["DATABASE_URL"])
    flush_redis(env["CACHE_URL"])
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [sys.executable, __file__, "--seed"],
        cwd=ROOT,
        env={**env, "BENCH_SEED_PACKAGES": str(packages)},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def wrk(url: str, *, token: str, seconds: int, connections: int, headers: dict[str, str] | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": rate,
        "p50": percentiles.get("50"),
        "p99": percentiles.get("99"),
        "bad": int(errors.group(1)) if errors else 0,
    }


def fetch(url: str, token: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def multipart(fields: dict[str, tuple[str | None, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, (filename, data) in fields.items():
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        parts.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def publish_once(base: str, token: str, package: str, version: str, data: bytes) -> None:
    """One v0 publish of ``data`` as ``package@version`` (the seed endpoint's four multipart parts)."""
    url = f"{base}/api/v0/organizations/{ORG}/projects/{PROJECT}/packages/{package}"
    body, content_type = multipart(
        {
            "package": (None, json.dumps({"name": package, "description": "publish benchmark"}).encode()),
            "version": (None, json.dumps({"id": version}).encode()),
            "packageFile": ("package.zip", data),
            "md5Hash": (None, hashlib.md5(data).hexdigest().encode()),
        }
    )
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Authorization": f"Bearer {token}", "Content-Type": content_type}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status not in (200, 201):
            raise RuntimeError(f"publish of {package}@{version} answered {response.status}")


def warm_publishing(base: str, token: str, connections: int) -> None:
    """Concurrent publishes of another package, so every gunicorn worker and thread has served one.

    The read endpoints are warmed the same way before they are measured. A worker's first publish pays
    once for its database and broker connections and first-use code paths (30-40 ms); with several
    workers, a short sequential run from a cold start measured those as much as publishing itself.
    """
    archives = [archive_bytes("warm-up", f"0.0.{i}", 100 * 1000) for i in range(2 * connections)]
    with ThreadPoolExecutor(max_workers=connections) as pool:
        list(pool.map(lambda i: publish_once(base, token, "warm-up", f"0.0.{i}", archives[i]), range(len(archives))))


def publish_rate(base: str, token: str, count: int) -> float:
    """Sequential v0 publishes of 100 kB archives (one new version each), in versions per second."""
    archives = [archive_bytes("published", f"1.0.{i}", 100 * 1000) for i in range(count)]
    started = time.perf_counter()
    for i, data in enumerate(archives):
        publish_once(base, token, "published", f"1.0.{i}", data)
    return count / (time.perf_counter() - started)


def run_verdaccio(harness: Path, seconds: int, connections: int) -> list[str]:
    result = subprocess.run(
        ["bash", str(harness), "20", "100000", str(seconds), str(connections)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("verdaccio")]
    if result.returncode != 0:
        lines.append(f"verdaccio bench failed ({result.returncode}): {result.stderr.strip()[-300:]}")
    return lines


def measure_reads(base: str, token: str, args) -> dict[str, float]:
    """wrk against each read endpoint, printed as it goes; requests per second by label."""
    api = f"{base}/api/v0/organizations/{ORG}/projects/{PROJECT}"
    package = f"{api}/packages/package-0500"
    download = f"{api}/packages/package-0000/versions/1.0.0/download"
    status, headers, body = fetch(download, token)
    if status != 200 or len(body) < MB:
        raise RuntimeError(f"download answered {status} with {len(body)} bytes")
    etag = headers.get("ETag")
    status, _, _ = fetch(download, token, **{"If-None-Match": etag})
    if status != 304:
        raise RuntimeError(f"conditional download answered {status}, not 304")
    targets = [
        ("package detail", package, {}),
        ("package list (page of 100)", f"{api}/packages?limit=100", {}),
        ("version list (20 versions)", f"{package}/versions", {}),
        ("download 1 MB artifact", download, {}),
        ("conditional GET -> 304", download, {"If-None-Match": etag}),
    ]
    status, headers, _ = fetch(package, token)
    if headers.get("ETag"):
        targets.append(("package detail, If-None-Match -> 304", package, {"If-None-Match": headers["ETag"]}))
    for _label, url, extra in targets:
        fetch(url, token, **extra)  # warm the caches
    print(
        f"gunicorn: {args.workers} workers x {args.threads} threads; wrk: {args.connections} connections, "
        f"{args.seconds} s per endpoint"
    )
    rates = {}
    for label, url, extra in targets:
        # Two seconds first so every worker process and thread has served this endpoint (connections,
        # per-process token memo) before the measured run.
        wrk(url, token=token, seconds=2, connections=args.connections, headers=extra)
        result = wrk(url, token=token, seconds=args.seconds, connections=args.connections, headers=extra)
        rates[label] = result["rps"]
        bad = f"  ({result['bad']} non-2xx/3xx!)" if result["bad"] else ""
        print(f"registry {label:<40} {result['rps']:9.1f} req/s   p50 {result['p50']:>8}   p99 {result['p99']:>8}{bad}")
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--publishes", type=int, default=50, help="sequential 100 kB publishes to time")
    parser.add_argument(
        "--verdaccio-harness",
        type=Path,
        metavar="PATH",
        help="the peer's verdaccio-bench.sh; without it the Verdaccio comparison is skipped",
    )
    parser.add_argument(
        "--no-verdaccio", action="store_true", help="skip the Verdaccio side even if a harness is given"
    )
    parser.add_argument(
        "--publish-only", action="store_true", help="only the publish rate (an empty registry: quick to iterate on)"
    )
    args = parser.parse_args()
    if args.verdaccio_harness is not None and not args.verdaccio_harness.is_file():
        parser.error(f"--verdaccio-harness {args.verdaccio_harness}: no such file")
    if not args.publish_only and shutil.which("wrk") is None:
        parser.error("the read benchmark needs wrk on the PATH (Debian: apt-get install wrk), or use --publish-only")

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    (ROOT / "var").mkdir(exist_ok=True)  # a fresh clone has none until the app has run
    scratch = Path(tempfile.mkdtemp(prefix="bench-api-load-", dir=ROOT / "var"))
    env = production_env(database_url=database_url, redis_url=redis_url, scratch=scratch)
    env.update(
        {
            "GUNICORN_WORKERS": str(args.workers),
            "GUNICORN_THREADS": str(args.threads),
            "GUNICORN_ACCESS_LOG": "/dev/null",
            "GUNICORN_MAX_REQUESTS": "0",
        }
    )
    server = None
    try:
        seeded = build_registry(env, packages=0 if args.publish_only else PACKAGES)
        token = seeded["token"]
        if not args.publish_only:
            print(f"synthetic registry: {PACKAGES} packages x {VERSIONS} versions built in {seeded['seconds']:.1f} s")

        server, base = start_gunicorn(env)

        rates = {} if args.publish_only else measure_reads(base, token, args)
        warm_publishing(base, token, args.workers * args.threads)
        rates["publish"] = publish_rate(base, token, args.publishes)
        print(f"registry v0 publish (100 kB archives, sequential): {rates['publish']:.1f} versions/s")
    finally:
        if server is not None:
            stop_gunicorn(server)
        shutil.rmtree(scratch, ignore_errors=True)
        with contextlib.suppress(Exception):  # cleanup only
            flush_redis(redis_url)
    if args.no_verdaccio:
        print("verdaccio comparison skipped: --no-verdaccio")
    elif args.verdaccio_harness is None:
        print(
            "verdaccio comparison skipped: no --verdaccio-harness PATH given "
            "(the peer's verdaccio-bench.sh is not part of this repository)"
        )
    else:
        lines = run_verdaccio(args.verdaccio_harness, args.seconds, args.connections)
        for line in lines:
            print(line)
        print_verdicts(rates, lines)
    return 0


def print_verdicts(rates: dict[str, float], verdaccio_lines: list[str]) -> None:
    """The issue's targets: detail and version list >= Verdaccio's package document; publish >= its publish."""
    found = {}
    for line in verdaccio_lines:
        if match := re.match(r"verdaccio GET package document: ([\d.]+) requests/s", line):
            found["document"] = float(match.group(1))
        elif match := re.match(r"verdaccio publish: ([\d.]+) versions/s", line):
            found["publish"] = float(match.group(1))
    checks = [
        ("package detail", "package detail", "document"),
        ("version list", "version list (20 versions)", "document"),
        ("publish", "publish", "publish"),
    ]
    for name, ours, theirs in checks:
        if theirs in found and ours in rates:
            ratio = rates[ours] / found[theirs]
            verdict = "met" if ratio >= 1 else "MISSED"
            print(f"target {name}: {rates[ours]:.1f} vs Verdaccio {found[theirs]:.1f} = {ratio:.2f}x ({verdict})")


if __name__ == "__main__":
    if sys.argv[1:] == ["--seed"]:
        seed()
        sys.exit(0)
    sys.exit(main())
