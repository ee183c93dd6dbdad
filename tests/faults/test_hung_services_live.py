"""The production web process (gunicorn, config/gunicorn.conf.py) with a Redis or a PostgreSQL that hangs.

The hung service is a real listener that accepts connections and never answers (tests/faults/hung.py).
Before every wait was bounded, three publishes pinned the worker's threads on broker sockets for good and
``/healthz`` stopped answering; with PostgreSQL hung, requests and ``/readyz`` hung past 25 s. Here each
request costs a bounded wait and answers, ``/healthz`` stays green, and once the service is released the
process recovers by itself: the time that takes is printed (``-s`` shows it), not asserted.
"""

import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import psycopg
import pytest
import redis as redis_client

from packages_app.demo import build_malloy_archive
from tests.faults.hung import HungService
from tests.faults.live import base_environment, manage, multipart, start_gunicorn
from tests.indexing.workers import PrivateRedis

# More requests at once than the server has threads (1 worker x 2 threads): pinned threads would show.
CONCURRENT_REQUESTS = 6
# How long the released service may take to be seen again before the test calls the process stuck.
RECOVERY_LIMIT_SECONDS = 60


@pytest.fixture
def hung():
    service = HungService()
    yield service
    service.close()


def wait_for_recovery(server) -> float:
    """Seconds from now until ``/readyz`` answers 200 again (polled every 0.1 s)."""
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY_LIMIT_SECONDS:
        if server.get("/readyz").status == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    pytest.fail(
        f"/readyz still failing {RECOVERY_LIMIT_SECONDS} s after the service came back: {server.get('/readyz').body}"
    )


def publish(server, token: str, version: str):
    body, content_type = multipart(
        {
            "version": (None, json.dumps({"id": version}).encode(), "application/json"),
            "packageFile": ("ledger.zip", build_malloy_archive("ledger", version), "application/zip"),
        }
    )
    return server.request(
        "POST",
        "/api/v0/organizations/acme/projects/finance/packages/ledger",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server for the released broker")
def test_publishes_while_redis_hangs_answer_201_healthz_stays_green_and_the_process_recovers(hung, tmp_path):
    env = base_environment(tmp_path, REDIS_URL=f"redis://127.0.0.1:{hung.port}/0")
    manage(env, "migrate", "--no-input")
    token = manage(env, "issue_token", "alice", "--create-user", "--quiet").strip()
    server = start_gunicorn(env, tmp_path / "gunicorn.log")
    redis = PrivateRedis(tmp_path)
    try:
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        assert server.request("POST", "/api/v0/organizations", body=b'{"name": "acme"}', headers=auth).status == 201
        created = server.request(
            "POST", "/api/v0/organizations/acme/projects", body=b'{"name": "finance"}', headers=auth
        )
        assert created.status == 201

        with ThreadPoolExecutor(CONCURRENT_REQUESTS) as clients:
            versions = [f"1.0.{n}" for n in range(CONCURRENT_REQUESTS)]
            started = time.monotonic()
            responses = list(clients.map(lambda version: publish(server, token, version), versions))
            print(f"\n{CONCURRENT_REQUESTS} publishes on a hung Redis answered in {time.monotonic() - started:.2f} s")

        assert [response.status for response in responses] == [201] * CONCURRENT_REQUESTS, [r.body for r in responses]
        assert hung.accepted >= 1  # the enqueues did reach the hung broker
        listed = server.get("/api/v0/organizations/acme/projects/finance/packages/ledger/versions", headers=auth)
        assert {v["indexStatus"] for v in listed.json()} == {"unknown"}  # left for the sweeper
        assert server.get("/healthz").status == 200
        ready = server.get("/readyz")
        assert ready.status == 503
        assert ready.json()["checks"]["broker"] == {"status": "fail", "error": "timeout"}
        assert ready.json()["checks"]["database"]["status"] == "ok"

        redis.start()
        hung.release(redis.port)
        print(f"\nrecovered from a hung Redis {wait_for_recovery(server):.2f} s after it was released")
        assert publish(server, token, "2.0.0").status == 201
        queued = redis_client.Redis(port=redis.port).llen("celery")  # the default queue: no worker drains it here
        assert queued >= 1, "the publish after the release reached no broker"
    finally:
        server.stop()
        redis.stop()


def real_postgres() -> dict | None:
    """Where a real PostgreSQL answers (the CI's, or DATABASE_URL's server), as libpq keywords; None if none does."""
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    if url.scheme.startswith("postgres"):
        params = {"host": url.hostname or "127.0.0.1", "port": url.port or 5432, "user": url.username or "postgres"}
        if url.password:
            params["password"] = url.password
    else:
        params = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
    try:
        psycopg.connect(dbname="postgres", connect_timeout=2, **params).close()
    except psycopg.Error:
        return None
    return params


def test_requests_while_postgresql_hangs_answer_503_healthz_stays_green_and_the_process_recovers(hung, tmp_path):
    postgres = real_postgres()
    user = postgres["user"] if postgres else "postgres"
    password = f":{postgres['password']}" if postgres and "password" in postgres else ""
    env = base_environment(tmp_path, DATABASE_URL=f"postgres://{user}{password}@127.0.0.1:{hung.port}/postgres")
    server = start_gunicorn(env, tmp_path / "gunicorn.log")
    try:
        with ThreadPoolExecutor(CONCURRENT_REQUESTS) as clients:
            started = time.monotonic()
            responses = list(
                clients.map(
                    lambda _: server.get("/api/v0/organizations", headers={"Authorization": "Bearer not-a-token"}),
                    range(CONCURRENT_REQUESTS),
                )
            )
            print(
                f"\n{CONCURRENT_REQUESTS} requests on a hung PostgreSQL answered in {time.monotonic() - started:.2f} s"
            )

        assert [response.status for response in responses] == [503] * CONCURRENT_REQUESTS
        assert {response.json()["code"] for response in responses} == {"DATABASE_UNAVAILABLE"}
        assert hung.accepted >= 1
        assert server.get("/healthz").status == 200
        ready = server.get("/readyz")
        assert ready.status == 503
        assert ready.json()["checks"]["database"] == {"status": "fail", "error": "timeout"}
        assert str(hung.port) not in ready.body.decode()  # no address of the database leaks
        assert ready.json()["checks"]["storage"]["status"] == "ok"

        if postgres is None:
            pytest.skip("no PostgreSQL answers on 127.0.0.1:5432 to release the hung one to (recovery not measured)")
        if postgres["host"] not in ("127.0.0.1", "localhost"):
            pytest.skip("the released listener relays to 127.0.0.1 only")
        hung.release(postgres["port"])
        print(f"\nrecovered from a hung PostgreSQL {wait_for_recovery(server):.2f} s after it was released")
    finally:
        server.stop()
