"""Bad input is a 4xx in the v0 envelope, never a 500."""

import io

import pytest

from tests.api_v0.conftest import BASE, archive_for, seed_package_part

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client_for, admin, grant, organization):
    grant(organization, "admin", user=admin)
    return client_for(admin)


BAD_REQUESTS = pytest.mark.parametrize(
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


@pytest.fixture
def group_on_project(package):
    from django.contrib.auth.models import Group

    from registry.models import Grant

    Grant.objects.create(project=package.project, group=Group.objects.create(name="g"), role="viewer")


@BAD_REQUESTS
def test_bad_requests_are_4xx_in_the_v0_envelope(client, group_on_project, method, path, body, format_):
    response = getattr(client, method)(path, body, format=format_)
    assert 400 <= response.status_code < 500, response.content
    assert {"code", "message"} <= set(response.json())


def _is_fields_map(details) -> bool:
    fields = details.get("fields")
    return (
        isinstance(fields, dict)
        and bool(fields)
        and all(isinstance(messages, list) and messages for messages in fields.values())
        and all(isinstance(message, str) for messages in fields.values() for message in messages)
    )


def test_every_validation_failure_maps_each_field_to_its_messages(client, group_on_project):
    validation_failures = []
    for method, path, body, format_ in BAD_REQUESTS.args[1]:
        error = getattr(client, method)(path, body, format=format_).json()
        if error["code"] == "VALIDATION_FAILED":
            validation_failures.append(error)
            assert _is_fields_map(error["details"]), (method, path, error)
            assert "field" not in error["details"], (method, path, error)
    assert len(validation_failures) >= 10  # the list above is mostly validation failures: they were all checked


V1_COMPONENTS = "/v1/organizations/acme/projects/finance/components"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"{V1_COMPONENTS}?page=abc", None),
        ("post", V1_COMPONENTS, {"name": "Card", "type": "widget", "content": ""}),
        ("post", V1_COMPONENTS, {"name": "bad name", "type": "view", "content": ""}),
        ("post", V1_COMPONENTS, {"type": 3}),
    ],
)
def test_a_v1_validation_failure_has_the_same_fields_map_inside_its_envelope(client, project, method, path, body):
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_FAILED"
    assert _is_fields_map(error["details"]), error


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
    assert list(response.json()["details"]["fields"]) == ["md5Hash"]
