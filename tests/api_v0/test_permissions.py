"""Permissions on organizations, projects and packages, and group service tokens."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from packages_app.models import PackageGrant
from registry.models import ApiToken, Grant, OrganizationGroup
from registry.tokens import issue_token, service_account_for
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

ORG = "/api/v0/organizations/acme"
PROJECT = f"{ORG}/projects/finance"
PACKAGE = f"{PROJECT}/packages/ledger"


def test_a_project_admin_grants_a_user_a_role_on_a_package(as_admin, package, stranger):
    response = as_admin.post(
        f"{PACKAGE}/permissions", {"userGroupId": "user:st@example.com", "permission": "viewer"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("userGroupId", "permission", "inheritedPermission")} == {
        "userGroupId": "user:st@example.com",
        "permission": "viewer",
        "inheritedPermission": None,
    }
    assert set(body) == {
        "userGroupId",
        "permission",
        "inheritedPermission",
        "message",
        "status",
        "requestedPermission",
        "workspace",
        "createdAt",
        "updatedAt",
    }
    assert PackageGrant.objects.get(package=package, user=stranger).role == "viewer"


def test_granting_again_changes_the_role_and_answers_200(as_admin, package, stranger):
    url = f"{PACKAGE}/permissions"
    as_admin.post(url, {"userGroupId": "user:st@example.com", "permission": "viewer"}, format="json")
    response = as_admin.post(url, {"userGroupId": "user:st@example.com", "permission": "modeler"}, format="json")
    assert response.status_code == 200
    assert PackageGrant.objects.get(package=package, user=stranger).role == "modeler"


def test_the_package_permission_list_reports_what_came_from_the_project(as_admin, admin, package, modeler):
    rows = {row["userGroupId"]: row for row in as_admin.get(f"{PACKAGE}/permissions").json()}
    assert rows["user:ad@example.com"]["permission"] is None
    assert rows["user:ad@example.com"]["inheritedPermission"] == "admin"
    assert rows["user:mo@example.com"]["inheritedPermission"] == "modeler"


def test_a_grant_on_the_organization_shows_as_inherited_on_its_projects(as_admin, grant, organization, stranger):
    grant(organization, "member", user=stranger)
    rows = {row["userGroupId"]: row for row in as_admin.get(f"{PROJECT}/permissions").json()}
    assert rows["user:st@example.com"] == {
        **rows["user:st@example.com"],
        "permission": None,
        "inheritedPermission": "member",
    }


def test_a_group_may_be_granted_a_role(as_admin, project):
    Group.objects.create(name="analysts")
    response = as_admin.post(
        f"{PROJECT}/permissions", {"userGroupId": "group:analysts", "permission": "viewer"}, format="json"
    )
    assert response.status_code == 201
    assert Grant.objects.get(project=project, group__name="analysts").role == "viewer"


def test_a_viewer_role_is_refused_at_organization_level(client_for, grant, organization, stranger):
    grant(organization, "admin", user=stranger)
    response = client_for(stranger).post(
        f"{ORG}/permissions", {"userGroupId": "user:st@example.com", "permission": "viewer"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("permission")


def test_a_member_role_is_refused_at_project_level(as_admin, project, stranger):
    response = as_admin.post(
        f"{PROJECT}/permissions", {"userGroupId": "user:st@example.com", "permission": "member"}, format="json"
    )
    assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["permission"])


def test_changing_an_organization_grant_to_viewer_is_refused(client_for, grant, organization, stranger):
    grant(organization, "admin", user=stranger)
    response = client_for(stranger).patch(
        f"{ORG}/permissions/user:st@example.com", {"permission": "viewer"}, format="json"
    )
    assert (response.status_code, response.json()["message"]) == (
        400,
        "permission: must be one of admin, modeler, member",
    )


def test_an_unknown_user_is_400_naming_user_group_id(as_admin, project):
    response = as_admin.post(
        f"{PROJECT}/permissions", {"userGroupId": "user:nobody@example.com", "permission": "viewer"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["userGroupId"]


def test_only_admins_manage_permissions(as_modeler, project):
    # A project's modelers may list who has access (as Credible documents); only admins change it.
    assert as_modeler.get(f"{PROJECT}/permissions").status_code == 200
    response = as_modeler.post(
        f"{PROJECT}/permissions", {"userGroupId": "user:mo@example.com", "permission": "admin"}, format="json"
    )
    assert response.status_code == 403


def test_removing_a_grant_takes_the_access_away(as_admin, client_for, project, viewer):
    viewer_client = client_for(viewer)
    assert viewer_client.get(PROJECT).status_code == 200
    assert as_admin.delete(f"{PROJECT}/permissions/user:vi@example.com").status_code == 204
    assert viewer_client.get(PROJECT).status_code == 404


def test_removing_a_grant_that_does_not_exist_is_404(as_admin, project, stranger):
    assert as_admin.delete(f"{PROJECT}/permissions/user:st@example.com").status_code == 404


@pytest.fixture
def org_admin(client_for, grant, organization, stranger):
    grant(organization, "admin", user=stranger)
    return client_for(stranger)


@pytest.fixture
def analysts(grant, project):
    """A group acme owns, which may read acme/finance."""
    group = Group.objects.create(name="analysts")
    OrganizationGroup.objects.create(organization=project.organization, group=group)
    grant(project, "viewer", group=group)
    return group


def test_an_organization_admin_creates_a_group_service_token_shown_once(org_admin, analysts):
    response = org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci")
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["groupName"], body["expired"]) == ("ci", "analysts", False)
    assert set(body) == {"name", "groupName", "createdAt", "expiresAt", "expired", "token"}
    token = ApiToken.objects.get(name="ci")
    assert token.group == analysts
    assert body["token"] != token.digest
    assert token.expires_at > timezone.now() + timedelta(days=365 * 98)


def test_a_group_service_token_acts_with_the_groups_access(org_admin, analysts, api_client):
    secret = org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.get(PROJECT).status_code == 200
    assert api_client.post(f"{PROJECT}/packages/x", {"package": "{}"}, format="multipart").status_code == 403


def test_a_token_may_be_given_an_expiry(org_admin, analysts):
    response = org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci&expiresAt=2030-01-01T00:00:00Z")
    assert response.json()["expiresAt"].startswith("2030-01-01T00:00:00")


def test_a_malformed_expiry_is_400(org_admin, analysts):
    response = org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci&expiresAt=tomorrow")
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["expiresAt"]


def test_a_duplicate_token_name_is_409(org_admin, analysts):
    org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci")
    assert org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci").status_code == 409


def test_an_unknown_group_is_404(org_admin, organization):
    assert org_admin.post(f"{ORG}/groups/nobody/tokens?name=ci").status_code == 404


@pytest.mark.parametrize("owner", [None, "other"])
def test_a_group_this_organization_does_not_own_gets_no_token_from_its_admin(org_admin, grant, project, owner):
    """Even once granted here: a token carries whatever the group is granted anywhere."""
    group = Group.objects.create(name="outsiders")
    if owner:
        OrganizationGroup.objects.create(organization=OrganizationFactory(name=owner), group=group)
    grant(project, "viewer", group=group)
    assert org_admin.post(f"{ORG}/groups/outsiders/tokens?name=ci").status_code == 403
    assert not ApiToken.objects.filter(name="ci").exists()


def test_a_project_admin_cannot_create_group_tokens(as_admin, analysts):
    assert as_admin.post(f"{ORG}/groups/analysts/tokens?name=ci").status_code == 403


def test_an_organization_admin_lists_the_groups_tokens_without_their_secrets(org_admin, analysts):
    org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci")
    org_admin.post(f"{ORG}/groups/analysts/tokens?name=nightly")
    response = org_admin.get(f"{ORG}/groups/analysts/tokens")
    assert response.status_code == 200
    body = response.json()
    assert [t["name"] for t in body] == ["nightly", "ci"]  # newest first
    assert set(body[0]) == {
        "name",
        "groupName",
        "createdAt",
        "expiresAt",
        "expired",
        "revokedAt",
        "lastUsedAt",
        "active",
    }
    assert (body[0]["active"], body[0]["revokedAt"]) == (True, None)


def test_listing_a_groups_tokens_costs_the_same_queries_for_one_token_or_many(
    org_admin, analysts, django_assert_max_num_queries
):
    org_admin.post(f"{ORG}/groups/analysts/tokens?name=t0")
    with CaptureQueriesContext(connection) as one:
        org_admin.get(f"{ORG}/groups/analysts/tokens")
    for_one = len(one.captured_queries)  # read now: the next request starts a fresh query log
    for n in range(1, 6):
        org_admin.post(f"{ORG}/groups/analysts/tokens?name=t{n}")
    with django_assert_max_num_queries(for_one):
        assert len(org_admin.get(f"{ORG}/groups/analysts/tokens").json()) == 6


def test_a_revoked_group_token_stops_working_at_once_and_is_listed_as_revoked(org_admin, analysts, api_client):
    secret = org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api_client.get(PROJECT).status_code == 200
    assert org_admin.delete(f"{ORG}/groups/analysts/tokens/ci").status_code == 204
    assert api_client.get(PROJECT).status_code == 401
    listed = org_admin.get(f"{ORG}/groups/analysts/tokens").json()[0]
    assert (listed["active"], listed["revokedAt"] is not None) == (False, True)


def test_revoking_a_revoked_token_again_is_a_204_that_changes_nothing(org_admin, analysts):
    org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci")
    org_admin.delete(f"{ORG}/groups/analysts/tokens/ci")
    first = ApiToken.objects.get(name="ci").revoked_at
    assert org_admin.delete(f"{ORG}/groups/analysts/tokens/ci").status_code == 204
    assert ApiToken.objects.get(name="ci").revoked_at == first


def test_a_token_whose_name_holds_a_slash_is_refused_now_and_an_older_one_is_revoked_by_that_name(org_admin, analysts):
    response = org_admin.post(f"{ORG}/groups/analysts/tokens?name=deploy/prod")
    assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["name"])
    issue_token(user=service_account_for(analysts), group=analysts, name="deploy/prod")  # from before the rule
    assert org_admin.delete(f"{ORG}/groups/analysts/tokens/deploy/prod").status_code == 204
    assert ApiToken.objects.get(name="deploy/prod").revoked_at is not None


def test_revoking_a_token_the_group_does_not_have_is_404(org_admin, analysts):
    response = org_admin.delete(f"{ORG}/groups/analysts/tokens/nope")
    assert response.status_code == 404
    assert response.json()["details"] == {"resourceType": "token", "resourceId": "nope"}


def test_a_project_admin_can_neither_list_nor_revoke_group_tokens(org_admin, as_admin, analysts):
    org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci")
    assert as_admin.get(f"{ORG}/groups/analysts/tokens").status_code == 403
    assert as_admin.delete(f"{ORG}/groups/analysts/tokens/ci").status_code == 403
    assert ApiToken.objects.get(name="ci").revoked_at is None


def test_a_read_only_token_of_an_organization_admin_lists_but_cannot_revoke(
    client_for, grant, organization, stranger, analysts
):
    grant(organization, "admin", user=stranger)
    client_for(stranger).post(f"{ORG}/groups/analysts/tokens?name=ci")
    reader = client_for(stranger, read_only=True)
    assert reader.get(f"{ORG}/groups/analysts/tokens").status_code == 200
    assert reader.delete(f"{ORG}/groups/analysts/tokens/ci").status_code == 403


def test_another_organizations_admin_cannot_reach_this_groups_tokens(client_for, grant, analysts, org_admin):
    org_admin.post(f"{ORG}/groups/analysts/tokens?name=ci")
    other = OrganizationFactory(name="globex")
    from tests.factories import UserFactory

    outsider = UserFactory(username="globex-boss")
    grant(other, "admin", user=outsider)
    client = client_for(outsider)
    assert client.get("/api/v0/organizations/globex/groups/analysts/tokens").status_code == 403
    assert client.delete("/api/v0/organizations/globex/groups/analysts/tokens/ci").status_code == 403
    assert ApiToken.objects.get(name="ci").revoked_at is None
