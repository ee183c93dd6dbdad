"""Permission detail on organizations, projects and packages: get and update one grant, ``message``,
``requestPermission`` and ``notifyPeople`` as query parameters, and pending requests an admin decides."""

import logging

import pytest

from packages_app.models import PackageGrant
from registry.models import Grant, PermissionRequest

pytestmark = pytest.mark.django_db

ORG = "/api/v0/organizations/acme"
PROJECT = f"{ORG}/projects/finance"
PACKAGE = f"{PROJECT}/packages/ledger"
ROW_FIELDS = {
    "userGroupId",
    "permission",
    "inheritedPermission",
    "message",
    "status",
    "requestedPermission",
    "createdAt",
    "updatedAt",
}


@pytest.fixture
def org_admin(organization, grant, client_for):
    from tests.factories import UserFactory

    person = UserFactory(username="oa", email="oa@example.com")
    grant(organization, "admin", user=person)
    return client_for(person)


@pytest.mark.parametrize(
    ("url", "fields"),
    [(ORG, ROW_FIELDS), (PROJECT, ROW_FIELDS), (PACKAGE, ROW_FIELDS | {"workspace"})],
    ids=["organization", "project", "package"],
)
def test_one_grant_is_read_and_updated_in_the_documented_shape(org_admin, package, stranger, url, fields):
    role = "member" if url == ORG else "viewer"
    created = org_admin.post(
        f"{url}/permissions",
        {"userGroupId": "user:st@example.com", "permission": role, "message": "new hire"},
        format="json",
    )
    assert created.status_code == 201, created.content
    one = org_admin.get(f"{url}/permissions/user:st@example.com")
    assert one.status_code == 200
    assert set(one.json()) == fields
    assert (one.json()["permission"], one.json()["message"], one.json()["status"]) == (role, "new hire", "granted")
    changed = org_admin.patch(
        f"{url}/permissions/user:st@example.com", {"permission": "modeler", "message": "promoted"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["permission"], changed.json()["message"]) == ("modeler", "promoted")
    held = [*Grant.objects.filter(user=stranger), *PackageGrant.objects.filter(user=stranger)]
    assert [grant.role for grant in held] == ["modeler"]


def test_reading_or_updating_a_principal_with_no_grant_is_404(org_admin, project, stranger):
    assert org_admin.get(f"{PROJECT}/permissions/user:st@example.com").status_code == 404
    response = org_admin.patch(f"{PROJECT}/permissions/user:st@example.com", {"permission": "viewer"}, format="json")
    assert response.status_code == 404


def test_a_role_that_does_not_fit_the_scope_is_400_naming_permission(org_admin, project, stranger, grant):
    grant(project, "viewer", user=stranger)
    response = org_admin.patch(f"{PROJECT}/permissions/user:st@example.com", {"permission": "member"}, format="json")
    assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["permission"])


def test_project_viewers_and_modelers_list_its_permissions_but_change_nothing(as_viewer, as_modeler, admin):
    for client in (as_viewer, as_modeler):
        listed = client.get(f"{PROJECT}/permissions")
        assert listed.status_code == 200
        assert "user:ad@example.com" in [row["userGroupId"] for row in listed.json()]
        assert client.get(f"{PROJECT}/permissions/user:ad@example.com").status_code == 200
        response = client.patch(f"{PROJECT}/permissions/user:ad@example.com", {"permission": "viewer"}, format="json")
        assert response.status_code == 403


def test_package_and_organization_lists_stay_with_their_admins(as_viewer, package):
    assert as_viewer.get(f"{PACKAGE}/permissions").status_code == 403
    assert as_viewer.get(f"{ORG}/permissions").status_code == 403


def test_a_viewer_asking_for_more_gets_a_pending_request_instead_of_403(as_viewer, as_admin, viewer, project):
    response = as_viewer.post(
        f"{PROJECT}/permissions?requestPermission=true",
        {"userGroupId": "user:vi@example.com", "permission": "modeler", "message": "I publish the ledger"},
        format="json",
    )
    assert response.status_code == 202, response.content
    assert {k: response.json()[k] for k in ("permission", "status", "requestedPermission", "message")} == {
        "permission": "viewer",
        "status": "pending",
        "requestedPermission": "modeler",
        "message": "I publish the ledger",
    }
    assert Grant.objects.get(project=project, user=viewer).role == "viewer"  # nothing granted yet
    listed = {row["userGroupId"]: row for row in as_admin.get(f"{PROJECT}/permissions").json()}
    assert (listed["user:vi@example.com"]["status"], listed["user:vi@example.com"]["requestedPermission"]) == (
        "pending",
        "modeler",
    )
    # The requester sees their own request; other readers do not see it pending.
    assert as_viewer.get(f"{PROJECT}/permissions/user:vi@example.com").json()["status"] == "pending"


def test_without_request_permission_a_non_admin_is_still_refused(as_viewer, viewer):
    response = as_viewer.post(
        f"{PROJECT}/permissions", {"userGroupId": "user:vi@example.com", "permission": "admin"}, format="json"
    )
    assert response.status_code == 403
    assert not PermissionRequest.objects.exists()


def test_an_admin_grants_a_pending_request_by_patch_with_the_role_asked_for(as_viewer, as_admin, viewer, project):
    as_viewer.post(
        f"{PROJECT}/permissions?requestPermission=true",
        {"userGroupId": "user:vi@example.com", "permission": "modeler"},
        format="json",
    )
    response = as_admin.patch(f"{PROJECT}/permissions/user:vi@example.com", {}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["permission"], response.json()["status"]) == ("modeler", "granted")
    assert PermissionRequest.objects.get().status == "granted"


def test_an_admin_refuses_a_pending_request_and_the_role_stays(as_viewer, as_admin, viewer, project):
    as_viewer.post(
        f"{PROJECT}/permissions?requestPermission=true",
        {"userGroupId": "user:vi@example.com", "permission": "admin"},
        format="json",
    )
    response = as_admin.patch(f"{PROJECT}/permissions/user:vi@example.com", {"status": "refused"}, format="json")
    assert response.status_code == 200
    assert (response.json()["permission"], response.json()["status"]) == ("viewer", "granted")
    assert PermissionRequest.objects.get().status == "refused"
    assert Grant.objects.get(project=project, user=viewer).role == "viewer"


def test_a_request_from_someone_with_no_grant_here_is_granted_as_a_new_grant(client_for, grant, organization, project):
    from tests.factories import PackageFactory, UserFactory

    package = PackageFactory(project=project, name="ledger")
    reader = UserFactory(username="re", email="re@example.com")
    grant(package, "viewer", user=reader)  # reads the package, so also sees the project, but holds nothing on it
    admin = UserFactory(username="pa", email="pa@example.com")
    grant(project, "admin", user=admin)
    asked = client_for(reader).post(
        f"{PROJECT}/permissions?requestPermission=true",
        {"userGroupId": "user:re@example.com", "permission": "viewer"},
        format="json",
    )
    assert asked.status_code == 202
    assert asked.json()["permission"] is None
    granted = client_for(admin).patch(
        f"{PROJECT}/permissions/user:re@example.com", {"message": "welcome"}, format="json"
    )
    assert (granted.json()["permission"], granted.json()["message"]) == ("viewer", "welcome")
    assert Grant.objects.get(project=project, user=reader).message == "welcome"


def test_deleting_a_pending_request_refuses_it(as_viewer, as_admin, project):
    as_viewer.post(
        f"{PROJECT}/permissions?requestPermission=true",
        {"userGroupId": "user:vi@example.com", "permission": "admin"},
        format="json",
    )
    Grant.objects.filter(user__username="vi").delete()
    assert as_admin.delete(f"{PROJECT}/permissions/user:vi@example.com").status_code == 204
    assert PermissionRequest.objects.get().status == "refused"


def test_asking_twice_keeps_one_pending_request_with_the_latest_role(as_viewer, project):
    url = f"{PROJECT}/permissions?requestPermission=true"
    as_viewer.post(url, {"userGroupId": "user:vi@example.com", "permission": "modeler"}, format="json")
    as_viewer.post(url, {"userGroupId": "user:vi@example.com", "permission": "admin"}, format="json")
    assert list(PermissionRequest.objects.values_list("role", "status")) == [("admin", "pending")]


def test_an_admin_with_request_permission_simply_grants(as_admin, stranger, project):
    response = as_admin.post(
        f"{PROJECT}/permissions?requestPermission=true",
        {"userGroupId": "user:st@example.com", "permission": "viewer"},
        format="json",
    )
    assert response.status_code == 201
    assert not PermissionRequest.objects.exists()


def test_notify_people_is_a_query_parameter_and_leaves_a_log_record(
    as_admin, stranger, project, caplog, django_capture_on_commit_callbacks
):
    with (
        caplog.at_level(logging.INFO, logger="registry.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = as_admin.post(
            f"{PROJECT}/permissions?notifyPeople=true",
            {"userGroupId": "user:st@example.com", "permission": "viewer"},
            format="json",
        )
    assert response.status_code == 201
    assert [r.getMessage() for r in caplog.records if r.name == "registry.notifications"] == [
        "permission_granted: user:st@example.com viewer on acme/finance"
    ]


def test_a_malformed_query_flag_is_400_naming_it(as_admin, stranger, project):
    response = as_admin.post(
        f"{PROJECT}/permissions?notifyPeople=maybe",
        {"userGroupId": "user:st@example.com", "permission": "viewer"},
        format="json",
    )
    assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["notifyPeople"])
