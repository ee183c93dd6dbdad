"""The organization tells the caller's own permission level and honours checkAdmin; every path under
/api/v0/ and /v1/ answers its envelope, in debug mode too; Credible families not served are named."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

ORG = "/api/v0/organizations/acme"


@pytest.mark.parametrize(("role", "level"), [("admin", "admin"), ("modeler", "modeler"), ("member", "member")])
def test_the_organization_carries_the_callers_permission_level(client_for, grant, organization, role, level):
    from tests.factories import UserFactory

    person = UserFactory(username=f"p-{role}")
    grant(organization, role, user=person)
    client = client_for(person)
    assert client.get(ORG).json()["permission"] == level
    assert [o["permission"] for o in client.get("/api/v0/organizations").json()] == [level]


def test_a_reader_through_a_project_only_has_no_level_on_the_organization(as_viewer):
    assert as_viewer.get(ORG).json()["permission"] is None


def test_check_admin_is_403_unless_the_caller_is_an_organization_admin(client_for, grant, organization, as_viewer):
    from tests.factories import UserFactory

    boss = UserFactory(username="boss")
    grant(organization, "admin", user=boss)
    assert client_for(boss).get(ORG, {"checkAdmin": "true"}).status_code == 200
    response = as_viewer.get(ORG, {"checkAdmin": "true"})
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    assert as_viewer.get(ORG, {"checkAdmin": "false"}).status_code == 200
    assert as_viewer.get(ORG, {"checkAdmin": "perhaps"}).status_code == 400


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v0/no/such/thing", {"code": "NOT_FOUND", "message": "No route matches /api/v0/no/such/thing"}),
        (
            "/v1/no/such/thing",
            {"error": {"code": "NOT_FOUND", "message": "No route matches /v1/no/such/thing", "details": {}}},
        ),
    ],
)
def test_an_unknown_api_path_answers_its_envelope_in_debug_mode_too(client, path, body, debug):
    with override_settings(DEBUG=debug):
        response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == body


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/api/v0/organizations/acme/workspaces", "workspaces"),
        ("/api/v0/organizations/acme/workspaces/analytics/packages", "workspaces"),
        ("/api/v0/organizations/acme/projects/finance/documents/report", "documents"),
        ("/api/v0/organizations/acme/connections", "connections"),
        ("/api/v0/permissions", "system permissions"),
    ],
)
def test_credible_families_the_registry_does_not_serve_are_a_404_naming_the_family(client, path, family):
    with override_settings(DEBUG=True):
        response = client.post(path, {}, content_type="application/json")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "NOT_FOUND"
    assert body["details"] == {"resourceType": family, "served": False}
    assert "does not serve" in body["message"]
