import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
from rest_framework.test import APIClient

from tests.factories import (
    OrganizationFactory,
    PackageFactory,
    ProjectFactory,
    UserFactory,
    grant_on,
    make_token,
)


@pytest.fixture(autouse=True)
def artifact_storage_in_tmp(settings, tmp_path):
    """Every test writes blobs and media under its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        **{
            location: {
                "BACKEND": "packages_app.storage.AtomicFileSystemStorage",
                "OPTIONS": {"location": tmp_path / location},
            }
            for location in settings.REGISTRY_STORAGE_LOCATIONS
        },
    }
    return tmp_path / "artifacts"


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit buckets and locks never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staff", is_staff=True, is_superuser=True)


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="acme")


@pytest.fixture
def project(organization):
    return ProjectFactory(organization=organization, name="finance")


@pytest.fixture
def package(project):
    return PackageFactory(project=project, name="ledger")


class ReadingClient(APIClient):
    """An API client that reads a streamed JSON body (a whole v0 list) to its end, as an HTTP client does,
    so that ``response.json()`` works on it and its queries are counted within the request."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        if response.streaming and response.get("Content-Type", "").startswith("application/json"):
            body = b"".join(response.streaming_content)
            response.json = partial(json.loads, body)  # the client's own json() reads .content, which this has not
            response.streaming_content = [body]
        return response


@pytest.fixture
def api_client():
    return ReadingClient()


@pytest.fixture
def client_for():
    """An API client authenticated as ``user`` with a fresh bearer token."""

    def build(user, **token_kwargs) -> APIClient:
        client = ReadingClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, **token_kwargs)}")
        return client

    return build


@pytest.fixture
def grant():
    """Give ``user`` (or ``group``) ``role`` on an organization, project or package."""

    return grant_on


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def broker_url():
    """The live Redis broker for real-worker tests, from TEST_REDIS_URL."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set: no live broker for real-worker tests")
    if not _reachable(url):
        pytest.skip(f"the broker at {url} is not reachable")
    return url


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (.ci/run does)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Settings that would point a child server at something other than its own temporary folder.
_FOREIGN_ENVIRONMENT = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL", "MEDIA_ROOT", "REGISTRY_URL")


@pytest.fixture(scope="module")
def live_registry(tmp_path_factory):
    """``make run`` as a newcomer gets it, in a subprocess: migrate, load_demo, runserver on a free port.

    Its database, files, secret key, temporary files and the CLI's config live in a temporary folder (never
    the checkout's ``var/``). Yields ``url`` and ``env``, the environment in which to run commands against it.
    """
    checkout = Path(__file__).resolve().parent.parent
    folder = tmp_path_factory.mktemp("live-registry")
    (folder / "tmp").mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in _FOREIGN_ENVIRONMENT and not key.startswith(("S3_", "REGISTRY_"))
    }
    env.update(
        REGISTRY_VAR_DIR=str(folder / "var"),
        REGISTRY_CLI_CONFIG=str(folder / "registry-cli.json"),
        HOME=str(folder),
        TMPDIR=str(folder / "tmp"),
        DJANGO_DEBUG="true",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
    )

    def manage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=checkout, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    manage("migrate", "--no-input")
    manage("load_demo")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(folder / "runserver.log", "w")  # noqa: SIM115 (closed below, after the process)
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=checkout,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"runserver did not come up:\n{(folder / 'runserver.log').read_text()}")
            time.sleep(0.2)
        yield SimpleNamespace(url=url, env=env, checkout=checkout, manage=manage, log=folder / "runserver.log")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
