"""What one API request costs in-process, in the production shape: time, SQL statements, Redis round trips.

    python bench/request_cost.py                 # 3,000 reads and 300 publishes of each kind
    python bench/request_cost.py --reads 10000 --publishes 1000

No HTTP server and no client: each request is a WSGI call into the app (``config.wsgi``), so the figures
are the app's own, without gunicorn, sockets or the benchmark client (``bench/api_load.py`` measures
those too). PostgreSQL and Redis (as cache and broker) as in production, a fresh database with 50
synthetic packages. Printed for a repeated package detail read, a repeated version list read, the same
read with ``If-None-Match`` (304), and a v0 publish of a 100 kB archive (its broker message included:
it is sent when the transaction commits). No response is cached: every request is authenticated,
authorized and answered by its view. SQL statements are those Django runs (``BEGIN`` and ``COMMIT``
not counted); a Redis round trip is a command or a pipeline (the rate limit's, the broker's).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a script from anywhere

from bench.api_load import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    ORG,
    PROJECT,
    ROOT,
    archive_bytes,
    build_registry,
    flush_redis,
    multipart,
    production_env,
)

API = f"/api/v0/organizations/{ORG}/projects/{PROJECT}"


class Counting:
    """SQL statements and Redis round trips made while it is active (one process, one thread)."""

    def __init__(self):
        self.sql = self.redis = 0

    @contextlib.contextmanager
    def active(self):
        import redis
        from django.db import connection

        def count_sql(execute, sql, params, many, context):
            self.sql += 1
            return execute(sql, params, many, context)

        real_execute, real_command = redis.client.Pipeline.execute, redis.Redis.execute_command

        def execute(pipeline, *args, **kwargs):
            self.redis += 1
            return real_execute(pipeline, *args, **kwargs)

        def execute_command(client, *args, **kwargs):
            self.redis += 1
            return real_command(client, *args, **kwargs)

        redis.client.Pipeline.execute, redis.Redis.execute_command = execute, execute_command
        try:
            with connection.execute_wrapper(count_sql):
                yield self
        finally:
            redis.client.Pipeline.execute, redis.Redis.execute_command = real_execute, real_command


def measure(token: str, reads: int, publishes: int) -> None:
    """Runs in a child process whose environment is the production shape's."""
    import django

    django.setup()
    from config.wsgi import application

    def request(method: str, path: str, *, body: bytes = b"", content_type: str = "", **headers) -> tuple[str, dict]:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
        }
        answered = []
        response = application(environ, lambda status, items, exc_info=None: answered.append((status, dict(items))))
        try:
            b"".join(response)
        finally:
            response.close()  # what a WSGI server does once the last byte is out
        return answered[0]

    def report(label: str, count: int, one) -> None:
        for _ in range(min(300, count)):  # connections, caches, first code paths
            one()
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(count):
            one()
        per_request = (time.perf_counter() - started) / count
        cpu_per_request = (time.process_time() - cpu_started) / count
        counting = Counting()
        with counting.active():
            status, _ = one()
        print(
            f"{label:<40} {per_request * 1e6:6.0f} us/request ({cpu_per_request * 1e6:5.0f} us CPU)  "
            f"{counting.sql:2d} SQL statements  "
            f"{counting.redis} Redis round trips  ({status})"
        )

    detail = f"{API}/packages/package-0010"
    etag = request("GET", detail)[1]["ETag"]
    report("package detail (repeated)", reads, lambda: request("GET", detail))
    report("version list, 20 versions (repeated)", reads, lambda: request("GET", f"{detail}/versions"))
    report("package detail, If-None-Match -> 304", reads, lambda: request("GET", detail, if_none_match=etag))

    name = f"cost-{uuid.uuid4().hex[:8]}"
    numbers = iter(range(10**6))
    archives = {}

    def publish():
        number = next(numbers)
        data = archives.pop(number)
        body, content_type = multipart(
            {
                "package": (None, json.dumps({"name": name, "description": "request cost"}).encode()),
                "version": (None, json.dumps({"id": f"1.0.{number}"}).encode()),
                "packageFile": ("package.zip", data),
                "md5Hash": (None, hashlib.md5(data).hexdigest().encode()),
            }
        )
        return request("POST", f"{API}/packages/{name}", body=body, content_type=content_type)

    for number in range(min(300, publishes) + publishes + 1):
        archives[number] = archive_bytes(name, f"1.0.{number}", 100_000)
    report("v0 publish, 100 kB archive", publishes, publish)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=3000, help="timed requests per read")
    parser.add_argument("--publishes", type=int, default=300, help="timed publishes")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL.replace("api_load", "request_cost"))
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    (ROOT / "var").mkdir(exist_ok=True)  # a fresh clone has none until the app has run
    scratch = Path(tempfile.mkdtemp(prefix="bench-request-cost-", dir=ROOT / "var"))
    env = production_env(database_url=database_url, redis_url=redis_url, scratch=scratch)
    try:
        token = build_registry(env, packages=50)["token"]
        command = [sys.executable, __file__, "--measure", token, str(args.reads), str(args.publishes)]
        subprocess.run(command, cwd=ROOT, env=env, check=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        with contextlib.suppress(Exception):  # cleanup only
            flush_redis(redis_url)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        sys.exit(0)
    sys.exit(main())
