"""An organization admin adds people to a group and takes them out; the group's access follows at once."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from registry.models import OrganizationGroup
from registry.tokens import service_account_for
from tests.api_v0.conftest import BASE
from tests.factories import OrganizationFactory, PackageFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

ORG = "/api/v0/organizations/acme"
MEMBERS = f"{ORG}/groups/analysts/members"
PACKAGE = f"{BASE}/packages/ledger"


def body(*entries: tuple[str, str]) -> dict:
    return {"members": [{"userGroupId": who, "status": status} for who, status in entries]}


@pytest.fixture
def analysts(grant, project):
    """A group acme owns, which may read acme/finance."""
    group = Group.objects.create(name="analysts")
    OrganizationGroup.objects.create(organization=project.organization, group=group)
    grant(project, "viewer", group=group)
    return group


@pytest.fixture
def org_admin(grant, organization):
    person = UserFactory(username="boss", email="boss@example.com")
    grant(organization, "admin", user=person)
    return person


@pytest.fixture
def as_org_admin(client_for, org_admin):
    return client_for(org_admin)


@pytest.fixture
def newcomer(db):
    return UserFactory(username="nc", email="nc@example.com")


@pytest.fixture
def as_newcomer(client_for, newcomer):
    return client_for(newcomer)


def test_an_admin_adds_a_member_who_can_then_read_what_the_group_may(as_org_admin, analysts, package, as_newcomer):
    assert as_newcomer.get(PACKAGE).status_code == 404
    response = as_org_admin.post(MEMBERS, body(("user:NC@example.com", "active")), format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "groupName": "analysts",
        "members": [{"userGroupId": "user:nc@example.com", "status": "member"}],
    }
    assert as_newcomer.get(PACKAGE).status_code == 200


@pytest.mark.parametrize("status", ["inactive", "removed"])
def test_removing_a_member_takes_the_access_away_on_the_next_read(
    as_org_admin, analysts, package, newcomer, as_newcomer, status, django_capture_on_commit_callbacks
):
    newcomer.groups.add(analysts)
    assert as_newcomer.get(PACKAGE).status_code == 200
    assert as_newcomer.get(PACKAGE).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):  # the change commits
        response = as_org_admin.post(MEMBERS, body(("user:nc@example.com", status)), format="json")
    assert response.status_code == 200
    assert response.json()["members"] == []
    assert not newcomer.groups.exists()
    assert as_newcomer.get(PACKAGE).status_code == 404


def test_a_membership_change_takes_access_away_in_every_organization_not_only_the_one_named(
    client_for, staff_user, analysts, newcomer, as_newcomer, grant, django_capture_on_commit_callbacks
):
    other = PackageFactory(
        project=ProjectFactory(organization=OrganizationFactory(name="globex"), name="ops"), name="x"
    )
    grant(other.project, "viewer", group=analysts)
    newcomer.groups.add(analysts)
    elsewhere = "/api/v0/organizations/globex/projects/ops/packages/x"
    assert as_newcomer.get(elsewhere).status_code == 200
    # Staff manage a group shared by two organizations; the request names acme, the access lost is globex's.
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff_user).post(MEMBERS, body(("user:nc@example.com", "removed")), format="json")
    assert response.status_code == 200
    assert as_newcomer.get(elsewhere).status_code == 404


def test_members_not_named_keep_their_membership_and_the_last_entry_for_a_user_wins(as_org_admin, analysts, newcomer):
    kept = UserFactory(username="kept", email="kept@example.com")
    kept.groups.add(analysts)
    response = as_org_admin.post(
        MEMBERS, body(("user:nc@example.com", "active"), ("user:nc@example.com", "removed")), format="json"
    )
    assert response.json()["members"] == [{"userGroupId": "user:kept@example.com", "status": "member"}]
    response = as_org_admin.post(MEMBERS, body(("user:nc@example.com", "active")), format="json")
    assert [m["userGroupId"] for m in response.json()["members"]] == ["user:kept@example.com", "user:nc@example.com"]


def test_adding_twice_and_removing_a_non_member_change_nothing(as_org_admin, analysts, newcomer):
    for _ in range(2):
        response = as_org_admin.post(MEMBERS, body(("user:nc@example.com", "active")), format="json")
        assert response.status_code == 200
    assert list(analysts.user_set.all()) == [newcomer]
    response = as_org_admin.post(MEMBERS, body(("user:boss@example.com", "removed")), format="json")
    assert response.status_code == 200
    assert list(analysts.user_set.all()) == [newcomer]


def test_the_groups_service_account_is_neither_listed_nor_changeable(as_org_admin, analysts, newcomer):
    account = service_account_for(analysts)
    response = as_org_admin.post(MEMBERS, body(("user:nc@example.com", "active")), format="json")
    assert [m["userGroupId"] for m in response.json()["members"]] == ["user:nc@example.com"]
    response = as_org_admin.post(MEMBERS, body((f"user:{account.username}", "removed")), format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["members[0].userGroupId"]
    assert analysts in account.groups.all()


def test_a_project_admin_is_not_an_organization_admin(as_admin, analysts, newcomer):
    response = as_admin.post(MEMBERS, body(("user:nc@example.com", "active")), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert not newcomer.groups.exists()


def test_an_organization_modeler_may_not_manage_members(client_for, grant, organization, analysts, newcomer):
    modeler = UserFactory(username="om", email="om@example.com")
    grant(organization, "modeler", user=modeler)
    response = client_for(modeler).post(MEMBERS, body(("user:nc@example.com", "active")), format="json")
    assert response.status_code == 403


def test_anonymous_callers_are_401(analysts):
    response = APIClient().post(MEMBERS, body(("user:nc@example.com", "active")), format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"


def test_an_admins_read_only_token_is_403(client_for, org_admin, analysts, newcomer):
    response = client_for(org_admin, read_only=True).post(
        MEMBERS, body(("user:nc@example.com", "active")), format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"
    assert not newcomer.groups.exists()


def test_another_organizations_admin_cannot_manage_this_organizations_group(client_for, grant, analysts, newcomer):
    other_admin = UserFactory(username="globex-admin", email="ga@example.com")
    globex = OrganizationFactory(name="globex")
    grant(globex, "admin", user=other_admin)
    client = client_for(other_admin)
    # acme is invisible to them, and through their own organization the group is not theirs.
    assert client.post(MEMBERS, body(("user:ga@example.com", "active")), format="json").status_code == 404
    through_own = "/api/v0/organizations/globex/groups/analysts/members"
    assert client.post(through_own, body(("user:ga@example.com", "active")), format="json").status_code == 403
    assert not analysts.user_set.exists()


def test_granting_a_group_does_not_make_it_yours_to_fill(client_for, grant, organization, project):
    """The takeover this rule stops: the admin of any organization grants a group that holds nothing yet
    a role there, adds themselves to it, and later reads whatever its owner grants it."""
    reserve = Group.objects.create(name="reserve")
    OrganizationGroup.objects.create(organization=organization, group=reserve)
    intruder = UserFactory(username="intruder", email="in@example.com")
    grant(OrganizationFactory(name="initech"), "admin", user=intruder)
    client = client_for(intruder)
    granted = client.post(
        "/api/v0/organizations/initech/permissions",
        {"userGroupId": "group:reserve", "permission": "member"},
        format="json",
    )
    assert granted.status_code in (200, 201), granted.content
    response = client.post(
        "/api/v0/organizations/initech/groups/reserve/members", body(("user:in@example.com", "active")), format="json"
    )
    assert response.status_code == 403
    grant(project, "viewer", group=reserve)  # acme later gives its group access
    assert client.get(PACKAGE).status_code == 404


def test_a_group_nobody_owns_is_managed_by_staff_only(as_org_admin, grant, project, newcomer):
    staff_made = Group.objects.create(name="outsiders")
    grant(project, "viewer", group=staff_made)
    response = as_org_admin.post(
        f"{ORG}/groups/outsiders/members", body(("user:nc@example.com", "active")), format="json"
    )
    assert response.status_code == 403
    assert not newcomer.groups.exists()


def test_staff_may_manage_any_group(client_for, grant, project, newcomer):
    staff_made = Group.objects.create(name="outsiders")
    root = UserFactory(username="root", email="root@example.com", is_staff=True)
    response = client_for(root).post(
        f"{ORG}/groups/outsiders/members", body(("user:nc@example.com", "active")), format="json"
    )
    assert response.status_code == 200
    assert list(newcomer.groups.all()) == [staff_made]


def test_naming_a_new_group_creates_it_owned_by_the_organization(as_org_admin, organization, newcomer):
    response = as_org_admin.post(f"{ORG}/groups/fresh/members", body(("user:nc@example.com", "active")), format="json")
    assert response.status_code == 200
    group = Group.objects.get(name="fresh")
    assert group.owner.organization == organization
    assert list(group.user_set.all()) == [newcomer]


@pytest.mark.parametrize(
    ("entries", "field"),
    [
        ([("group:analysts", "active")], "members[0].userGroupId"),
        ([("nc@example.com", "active")], "members[0].userGroupId"),
        ([("user:", "active")], "members[0].userGroupId"),
        ([("user:nc@example.com", "active"), ("user:ghost@example.com", "active")], "members[1].userGroupId"),
        ([("user:nc@example.com", "active"), ("user:nc@example.com", "pending")], "members[1].status"),
    ],
)
def test_a_bad_entry_is_400_naming_it_and_nothing_changes(as_org_admin, analysts, newcomer, entries, field):
    response = as_org_admin.post(MEMBERS, body(*entries), format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "VALIDATION_FAILED"
    assert error["message"].startswith(f"{field}: ")
    assert not newcomer.groups.exists()


@pytest.mark.parametrize(
    ("payload", "format_"),
    [
        ({}, "json"),
        ({"members": []}, "json"),
        ({"members": "user:nc@example.com"}, "json"),
        ({"members": [{"userGroupId": "user:nc@example.com"}]}, "json"),
        ({"members": [{"userGroupId": None, "status": "active"}]}, "json"),
        ({"members": [{"userGroupId": ["user:nc@example.com"], "status": "active"}]}, "json"),
        ({"members": ["user:nc@example.com"]}, "json"),
        ([{"userGroupId": "user:nc@example.com", "status": "active"}], "json"),
        ("members", "json"),
        (None, "json"),
        ({"members": "x"}, "multipart"),
    ],
)
def test_a_missing_or_malformed_body_is_400_in_the_envelope(as_org_admin, analysts, newcomer, payload, format_):
    response = as_org_admin.post(MEMBERS, payload, format=format_)
    assert response.status_code == 400, response.content
    assert response.json()["code"] in {"VALIDATION_FAILED", "MALFORMED_REQUEST"}
    assert not newcomer.groups.exists()


def test_a_body_that_is_not_json_is_400(as_org_admin, analysts):
    response = as_org_admin.generic("POST", MEMBERS, b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "MALFORMED_REQUEST"


def test_many_members_are_looked_up_in_one_query_however_many_are_named(
    as_org_admin, analysts, django_assert_max_num_queries
):
    people = [UserFactory(username=f"p{i:02d}", email=f"p{i:02d}@example.com") for i in range(40)]
    few = body(*((f"user:{p.email}", "active") for p in people[:2]))
    many = body(*((f"user:{p.email.upper()}", "active") for p in people))
    with django_assert_max_num_queries(30) as few_queries:
        assert as_org_admin.post(MEMBERS, few, format="json").status_code == 200
    with django_assert_max_num_queries(len(few_queries) + 2):  # the bulk add itself, not one query per person
        response = as_org_admin.post(MEMBERS, many, format="json")
    assert response.status_code == 200
    assert len(response.json()["members"]) == 40
