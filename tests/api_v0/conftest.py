"""Fixtures for the v0 API tests: people with roles on the acme/finance project, and an upload helper."""

import hashlib
import io
import json

import pytest

from packages_app.demo import build_malloy_archive
from tests.factories import UserFactory

BASE = "/api/v0/organizations/acme/projects/finance"


def package_url(package: str = "ledger", *, base: str = BASE) -> str:
    return f"{base}/packages/{package}"


def seed_package_part(**overrides) -> str:
    """The seed's `package` part, with real values."""
    body = {
        "name": "ledger",
        "latestVersion": "0.0.0",
        "description": "The general ledger",
        "createdAt": "2023-11-07T05:31:56Z",
        "updatedAt": "2023-11-07T05:31:56Z",
        "replicationCount": 1,
        "resourceIdentifier": "acme/finance/ledger",
        "indexStatus": "unknown",
    }
    body.update(overrides)
    return json.dumps(body)


def seed_version_part(version: str = "1.0.0", **overrides) -> str:
    """The seed's `version` part, with real values."""
    body = {
        "id": version,
        "createdAt": "2023-11-07T05:31:56Z",
        "updatedAt": "2023-11-07T05:31:56Z",
        "archiveStatus": "unarchive",
        "indexStatus": "unknown",
    }
    body.update(overrides)
    return json.dumps(body)


def archive_for(version: str, name: str = "ledger", **kwargs) -> bytes:
    return build_malloy_archive(name, version, **kwargs)


def upload(
    client,
    *,
    package: str = "ledger",
    version: str | None = "1.0.0",
    data: bytes | None = None,
    md5: str | None = "auto",
    package_part: str | None = None,
    version_part: str | None = None,
    base: str = BASE,
    **version_overrides,
):
    """POST the seed endpoint's four multipart parts; ``md5="auto"`` sends the file's real md5."""
    own_part = seed_package_part(name=package, resourceIdentifier=f"acme/finance/{package}")
    form = {"package": package_part if package_part is not None else own_part}
    if version is not None:
        form["version"] = version_part if version_part is not None else seed_version_part(version, **version_overrides)
        data = data if data is not None else archive_for(version, package)
    if data is not None:
        upload_file = io.BytesIO(data)
        upload_file.name = "package.zip"
        form["packageFile"] = upload_file
        if md5 == "auto":
            form["md5Hash"] = hashlib.md5(data).hexdigest()
        elif md5 is not None:
            form["md5Hash"] = md5
    return client.post(package_url(package, base=base), form, format="multipart")


@pytest.fixture
def modeler(project, grant):
    person = UserFactory(username="mo", email="mo@example.com")
    grant(project, "modeler", user=person)
    return person


@pytest.fixture
def viewer(project, grant):
    person = UserFactory(username="vi", email="vi@example.com")
    grant(project, "viewer", user=person)
    return person


@pytest.fixture
def admin(project, grant):
    person = UserFactory(username="ad", email="ad@example.com")
    grant(project, "admin", user=person)
    return person


@pytest.fixture
def stranger(db):
    return UserFactory(username="st", email="st@example.com")


@pytest.fixture
def as_modeler(client_for, modeler):
    return client_for(modeler)


@pytest.fixture
def as_viewer(client_for, viewer):
    return client_for(viewer)


@pytest.fixture
def as_admin(client_for, admin):
    return client_for(admin)


@pytest.fixture
def as_stranger(client_for, stranger):
    return client_for(stranger)
