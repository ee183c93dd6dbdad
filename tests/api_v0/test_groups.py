"""Groups as Credible documents them: create, update, list, get, delete; members with the statuses admin and
member, changed one by one; group: members; names that match ^[a-zA-Z0-9_-]+$."""

import pytest
from django.contrib.auth.models import Group

from registry.models import ApiToken, GroupMembership, OrganizationGroup
from registry.tokens import issue_token, service_account_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ORG = "/api/v0/organizations/acme"
GROUPS = f"{ORG}/groups"
PACKAGE = f"{ORG}/projects/finance/packages/ledger"


@pytest.fixture
def org_admin(organization, grant, client_for):
    person = UserFactory(username="oa", email="oa@example.com")
    grant(organization, "admin", user=person)
    return client_for(person)


@pytest.fixture
def analysts(organization):
    group = Group.objects.create(name="analysts")
    OrganizationGroup.objects.create(organization=organization, group=group, description="Read the books")
    return group


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", email="ada@example.com")


def test_an_organization_admin_creates_a_group_in_the_documented_shape(org_admin):
    response = org_admin.post(GROUPS, {"groupName": "auditors", "description": "Check the books"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"organizationName", "groupName", "description", "createdAt", "updatedAt"}
    assert (body["organizationName"], body["groupName"], body["description"]) == ("acme", "auditors", "Check the books")
    assert OrganizationGroup.objects.get(group__name="auditors").organization.name == "acme"


@pytest.mark.parametrize("name", ["deploy/prod", "with space", "", "a" * 101, "dot.ted"])
def test_a_group_name_outside_the_documented_pattern_is_refused_naming_group_name(org_admin, name):
    response = org_admin.post(GROUPS, {"groupName": name}, format="json")
    assert response.status_code == 400
    assert list(response.json()["details"]["fields"]) == ["groupName"]
    assert not Group.objects.exists()


def test_a_refused_group_name_is_told_which_characters_it_may_use(org_admin):
    response = org_admin.post(GROUPS, {"groupName": "ops team"}, format="json")
    assert response.json()["message"] == "groupName: Use only letters, digits, '_' and '-'."


def test_a_group_name_taken_in_any_case_is_409(org_admin, analysts):
    response = org_admin.post(GROUPS, {"groupName": "Analysts"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "GROUP_EXISTS")


def test_readers_of_the_organization_list_and_get_its_groups(client_for, grant, organization, analysts):
    member = UserFactory(username="me", email="me@example.com")
    grant(organization, "member", user=member)
    client = client_for(member)
    assert [g["groupName"] for g in client.get(GROUPS).json()] == ["analysts"]
    assert client.get(f"{GROUPS}/analysts").json()["description"] == "Read the books"
    assert client.get(f"{GROUPS}/ghost").status_code == 404
    assert client.post(GROUPS, {"groupName": "mine"}, format="json").status_code == 403


def test_a_group_created_by_staff_under_an_old_name_with_a_slash_is_still_listed(org_admin, organization):
    OrganizationGroup.objects.create(organization=organization, group=Group.objects.create(name="ops/legacy"))
    assert [g["groupName"] for g in org_admin.get(GROUPS).json()] == ["ops/legacy"]


def test_patch_updates_the_description_and_refuses_a_rename(org_admin, analysts):
    response = org_admin.patch(f"{GROUPS}/analysts", {"description": "Audit"}, format="json")
    assert (response.status_code, response.json()["description"]) == (200, "Audit")
    assert org_admin.patch(f"{GROUPS}/analysts", {"groupName": "analysts"}, format="json").status_code == 200
    response = org_admin.patch(f"{GROUPS}/analysts", {"groupName": "others"}, format="json")
    assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["groupName"])


def test_deleting_a_group_takes_its_members_grants_and_tokens_with_it(org_admin, analysts, ada, grant, package):
    grant(package, "viewer", group=analysts)
    org_admin.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "user:ada@example.com", "status": "member"}]},
        format="json",
    )
    issue_token(user=service_account_for(analysts), group=analysts, name="ci")
    assert org_admin.delete(f"{GROUPS}/analysts").status_code == 204
    assert not Group.objects.filter(name="analysts").exists()
    assert not ApiToken.objects.filter(name="ci").exists()
    assert not ada.groups.exists()


def test_members_are_added_as_admin_or_member_and_listed_with_their_status(org_admin, analysts, ada):
    UserFactory(username="bob", email="bob@example.com")
    body = {
        "members": [
            {"userGroupId": "user:ada@example.com", "status": "admin"},
            {"userGroupId": "user:bob@example.com", "status": "member"},
        ]
    }
    response = org_admin.post(f"{GROUPS}/analysts/members", body, format="json")
    assert response.status_code == 200, response.content
    expected = [
        {"userGroupId": "user:ada@example.com", "status": "admin"},
        {"userGroupId": "user:bob@example.com", "status": "member"},
    ]
    assert response.json() == {"groupName": "analysts", "members": expected}
    assert org_admin.get(f"{GROUPS}/analysts/members").json() == expected


def test_patch_changes_one_members_status_by_email(org_admin, analysts, ada):
    org_admin.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "user:ada@example.com", "status": "member"}]},
        format="json",
    )
    response = org_admin.patch(f"{GROUPS}/analysts/members/ada@example.com", {"status": "admin"}, format="json")
    assert response.json() == {"userGroupId": "user:ada@example.com", "status": "admin"}
    assert GroupMembership.objects.get(group=analysts, user=ada).status == "admin"
    response = org_admin.patch(f"{GROUPS}/analysts/members/ada@example.com", {"status": "active"}, format="json")
    assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["status"])


def test_an_empty_patch_answers_the_member_as_it_is(org_admin, analysts, ada):
    org_admin.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "user:ada@example.com", "status": "admin"}]},
        format="json",
    )
    response = org_admin.patch(f"{GROUPS}/analysts/members/ada@example.com", {}, format="json")
    assert (response.status_code, response.json()) == (200, {"userGroupId": "user:ada@example.com", "status": "admin"})
    assert GroupMembership.objects.get(group=analysts, user=ada).status == "admin"


def test_an_empty_patch_of_someone_not_in_the_group_is_404(org_admin, analysts, ada):
    assert org_admin.patch(f"{GROUPS}/analysts/members/ada@example.com", {}, format="json").status_code == 404


def test_patching_or_deleting_someone_not_in_the_group_is_404(org_admin, analysts, ada):
    assert (
        org_admin.patch(f"{GROUPS}/analysts/members/ada@example.com", {"status": "admin"}, format="json").status_code
        == 404
    )
    assert org_admin.delete(f"{GROUPS}/analysts/members/ada@example.com").status_code == 404


def test_delete_takes_a_member_out_and_their_access_with_them(org_admin, analysts, ada, grant, package, client_for):
    grant(package, "viewer", group=analysts)
    org_admin.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "user:ada@example.com", "status": "member"}]},
        format="json",
    )
    as_ada = client_for(ada)
    assert as_ada.get(PACKAGE).status_code == 200
    assert org_admin.delete(f"{GROUPS}/analysts/members/user:ada@example.com").status_code == 204
    assert as_ada.get(PACKAGE).status_code == 404
    assert not GroupMembership.objects.filter(user=ada).exists()


def test_a_group_admin_manages_the_group_without_being_an_organization_admin(org_admin, analysts, ada, client_for):
    UserFactory(username="bob", email="bob@example.com")
    org_admin.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "user:ada@example.com", "status": "admin"}]},
        format="json",
    )
    as_ada = client_for(ada)
    added = as_ada.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "user:bob@example.com", "status": "member"}]},
        format="json",
    )
    assert added.status_code == 200, added.content
    assert as_ada.patch(f"{GROUPS}/analysts", {"description": "Ada's team"}, format="json").status_code == 200
    assert (
        as_ada.patch(f"{GROUPS}/analysts/members/bob@example.com", {"status": "admin"}, format="json").status_code
        == 200
    )
    # Creating and deleting groups, and their tokens, stay with the organization's admins.
    assert as_ada.delete(f"{GROUPS}/analysts").status_code == 404  # ada cannot read acme itself
    assert as_ada.post(f"{GROUPS}/analysts/tokens?name=ci").status_code == 404


def test_a_plain_member_may_not_manage_the_group(org_admin, analysts, ada, grant, organization, client_for):
    grant(organization, "member", user=ada)
    org_admin.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "user:ada@example.com", "status": "member"}]},
        format="json",
    )
    response = client_for(ada).patch(f"{GROUPS}/analysts", {"description": "mine now"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")


def test_a_group_member_gives_its_users_what_the_containing_group_is_granted(
    org_admin, organization, analysts, ada, grant, package, client_for
):
    interns = Group.objects.create(name="interns")
    OrganizationGroup.objects.create(organization=organization, group=interns)
    ada.groups.add(interns)
    grant(package, "viewer", group=analysts)
    as_ada = client_for(ada)
    assert as_ada.get(PACKAGE).status_code == 404
    response = org_admin.post(
        f"{GROUPS}/analysts/members", {"members": [{"userGroupId": "group:interns", "status": "member"}]}, format="json"
    )
    assert response.json()["members"] == [{"userGroupId": "group:interns", "status": "member"}]
    assert as_ada.get(PACKAGE).status_code == 200
    assert org_admin.delete(f"{GROUPS}/analysts/members/group:interns").status_code == 204
    assert as_ada.get(PACKAGE).status_code == 404


def test_groups_nest_one_level_and_only_groups_of_the_same_organization(org_admin, organization, analysts):
    for name in ("interns", "juniors"):
        OrganizationGroup.objects.create(organization=organization, group=Group.objects.create(name=name))
    org_admin.post(
        f"{GROUPS}/analysts/members", {"members": [{"userGroupId": "group:interns", "status": "member"}]}, format="json"
    )
    deeper = org_admin.post(
        f"{GROUPS}/interns/members", {"members": [{"userGroupId": "group:juniors", "status": "member"}]}, format="json"
    )
    holder = org_admin.post(
        f"{GROUPS}/juniors/members", {"members": [{"userGroupId": "group:analysts", "status": "member"}]}, format="json"
    )
    Group.objects.create(name="elsewhere")
    foreign = org_admin.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "group:elsewhere", "status": "member"}]},
        format="json",
    )
    for response in (deeper, holder, foreign):
        assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["members[0].userGroupId"])


def test_the_older_statuses_still_work_active_adds_a_member_and_removed_takes_them_out(org_admin, analysts, ada):
    org_admin.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "user:ada@example.com", "status": "active"}]},
        format="json",
    )
    assert GroupMembership.objects.get(user=ada).status == "member"
    org_admin.post(
        f"{GROUPS}/analysts/members",
        {"members": [{"userGroupId": "user:ada@example.com", "status": "removed"}]},
        format="json",
    )
    assert not ada.groups.exists()


def test_a_member_added_in_the_staff_console_without_a_status_row_reads_as_member(org_admin, analysts, ada):
    ada.groups.add(analysts)
    assert org_admin.get(f"{GROUPS}/analysts/members").json() == [
        {"userGroupId": "user:ada@example.com", "status": "member"}
    ]


def test_a_new_token_name_outside_the_pattern_is_refused(org_admin, analysts):
    response = org_admin.post(f"{GROUPS}/analysts/tokens?name=ci%20deploy")
    assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["name"])
    assert org_admin.post(f"{GROUPS}/analysts/tokens?name=ci-deploy_2").status_code == 201
