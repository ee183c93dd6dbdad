"""Fault tests reuse the v0 API people (modeler, viewer on acme/finance) and upload helper.

Hung services: ``hung_broker`` points Celery at a listener that accepts and never answers; ``answered``
fails a test whose request does not come back at all (instead of hanging the suite), which is what these
tests guard against. It is a guard, not a timing assertion: its limit is far above every bound.
"""

import signal
from contextlib import contextmanager

import pytest

from tests.api_v0.conftest import as_modeler, as_viewer, modeler, viewer  # noqa: F401
from tests.faults.hung import HungService, StallingProxy

NEVER_ANSWERED_AFTER_SECONDS = 90


def answered(request):
    """Call ``request()`` and return what it returns; fail the test if it has not returned after a long while."""

    def pinned(signum, frame):
        raise pytest.fail.Exception(f"no answer after {NEVER_ANSWERED_AFTER_SECONDS} s: a wait is unbounded")

    previous = signal.signal(signal.SIGALRM, pinned)
    signal.setitimer(signal.ITIMER_REAL, NEVER_ANSWERED_AFTER_SECONDS)
    try:
        return request()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def broker_at(settings):
    """``with broker_at(url):`` this process publishes to ``url`` (not in-process), with short socket timeouts."""
    from tests.indexing.workers import publishing_app

    @contextmanager
    def pointing(url: str):
        settings.CELERY_BROKER_URL = url
        settings.CELERY_ENQUEUE_WAIT_SECONDS = 0.5
        settings.REGISTRY_READYZ_TIMEOUT_SECONDS = 3
        with publishing_app(
            broker_url=url,
            task_always_eager=False,
            broker_connection_timeout=1,
            broker_transport_options={
                **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
                "socket_timeout": 1,
                "socket_connect_timeout": 1,
            },
        ) as app:
            yield app

    return pointing


@pytest.fixture
def hung_broker(broker_at):
    service = HungService()
    try:
        with broker_at(f"redis://127.0.0.1:{service.port}/0"):
            yield service
    finally:
        service.close()


@pytest.fixture(scope="module")
def gunicorn_registry(tmp_path_factory):
    """gunicorn with config/gunicorn.conf.py on SQLite, with acme/finance and a token (``.token``) that publishes there."""
    from tests.faults.live import base_environment, manage, start_gunicorn

    folder = tmp_path_factory.mktemp("gunicorn-registry")
    env = base_environment(folder)
    manage(env, "migrate", "--no-input")
    token = manage(env, "issue_token", "alice", "--create-user", "--quiet").strip()
    server = start_gunicorn(env, folder / "gunicorn.log")
    server.token = token
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        assert server.request("POST", "/api/v0/organizations", body=b'{"name": "acme"}', headers=auth).status == 201
        assert (
            server.request(
                "POST", "/api/v0/organizations/acme/projects", body=b'{"name": "finance"}', headers=auth
            ).status
            == 201
        )
        yield server
    finally:
        server.stop()


@pytest.fixture
def stalling_postgresql():
    """A ``StallingProxy`` in front of the test database's PostgreSQL server (tests/faults/hung.py)."""
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    if settings_dict["HOST"] not in ("127.0.0.1", "localhost"):
        pytest.skip("the stalling proxy relays to 127.0.0.1 only")
    proxy = StallingProxy(int(settings_dict["PORT"] or 5432))
    yield proxy
    proxy.close()


@pytest.fixture
def through_stalling_proxy(db, stalling_postgresql):
    """The alias of a connection to the test database through ``stalling_postgresql``, with a 1 s client timeout."""
    from django.db import connections

    from registry.postgresql.base import DatabaseWrapper

    alias = "through_stalling_proxy"
    settings_dict = connections["default"].settings_dict
    connections[alias] = DatabaseWrapper(
        {
            **settings_dict,
            "OPTIONS": {**settings_dict["OPTIONS"]},
            "PORT": stalling_postgresql.port,
            "CLIENT_TIMEOUT": 1,
        },
        alias,
    )
    yield alias
    connections[alias].close()
    del connections[alias]


@pytest.fixture
def registry_through_stalling_proxy(transactional_db, stalling_postgresql, tmp_path):
    """gunicorn (one thread, so every request uses the one connection it keeps) on the test database through
    ``stalling_postgresql``, with a 1 s client timeout; ``.token`` reads there."""
    from django.db import connections

    from tests.factories import UserFactory, make_token
    from tests.faults.live import base_environment, start_gunicorn

    settings_dict = connections["default"].settings_dict
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    env = base_environment(
        tmp_path,
        DATABASE_URL=(
            f"postgres://{settings_dict['USER']}{password}@127.0.0.1:{stalling_postgresql.port}/{settings_dict['NAME']}"
        ),
        DATABASE_CONN_MAX_AGE="60",
        DATABASE_CONNECT_TIMEOUT="2",
        DATABASE_CLIENT_TIMEOUT="1",
    )
    server = start_gunicorn(env, tmp_path / "gunicorn.log", threads=1)
    server.token = make_token(UserFactory())
    yield server
    server.stop()
