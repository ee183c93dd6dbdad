"""Bad input is a 4xx in the v0 envelope, never a 500."""

import io

import pytest

from tests.api_v0.conftest import BASE, archive_for, seed_package_part

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client_for, admin, grant, organization):
    grant(organization, "admin", user=admin)
    return client_for(admin)


@pytest.mark.parametrize(
    ("method", "path", "body", "format_"),
    [
        ("post", "/api/v0/organizations", [1, 2], "json"),
        ("post", "/api/v0/organizations", {"name": "x" * 101}, "json"),
        ("post", "/api/v0/organizations", {"name": "ok", "displayName": "d" * 201}, "json"),
        ("patch", "/api/v0/organizations/acme", "not an object", "json"),
        ("post", "/api/v0/organizations/acme/projects", {"name": None}, "json"),
        ("post", f"{BASE}/permissions", {"userGroupId": "nobody", "permission": "admin"}, "json"),
        ("post", f"{BASE}/permissions", {"userGroupId": "user:ad@example.com", "permission": "owner"}, "json"),
        ("delete", f"{BASE}/permissions/garbage", None, "json"),
        ("post", f"{BASE}/packages/ledger", {"package": {"replicationCount": "x"}}, "json"),
        ("post", f"{BASE}/packages/ledger", {"version": {"id": None}, "package": {}}, "json"),
        ("post", f"{BASE}/packages/ledger", {"version": '{"id": 1}', "package": "{}"}, "multipart"),
        ("patch", f"{BASE}/packages/ledger", {"replicationCount": 99}, "json"),
        ("get", f"{BASE}/packages?limit=abc", None, "json"),
        ("get", f"{BASE}/packages?limit=0", None, "json"),
        ("get", f"{BASE}/packages/ledger?checkAdmin=maybe", None, "json"),
        ("post", "/api/v0/organizations/acme/groups/g/tokens?name=" + "n" * 101, None, "json"),
        ("post", "/api/v0/organizations/acme/groups/g/tokens?name=ci&expiresAt=2001-01-01T00:00:00Z", None, "json"),
    ],
)
def test_bad_requests_are_4xx_in_the_v0_envelope(client, package, method, path, body, format_):
    from django.contrib.auth.models import Group

    from registry.models import Grant

    Grant.objects.create(project=package.project, group=Group.objects.create(name="g"), role="viewer")
    response = getattr(client, method)(path, body, format=format_)
    assert 400 <= response.status_code < 500, response.content
    assert {"code", "message"} <= set(response.json())


def test_an_md5_hash_sent_as_a_file_is_400(client, project):
    archive = io.BytesIO(archive_for("1.0.0"))
    archive.name = "a.zip"
    md5 = io.BytesIO(b"abc")
    md5.name = "md5.txt"
    response = client.post(
        f"{BASE}/packages/ledger",
        {"package": seed_package_part(), "version": '{"id": "1.0.0"}', "packageFile": archive, "md5Hash": md5},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "md5Hash"
