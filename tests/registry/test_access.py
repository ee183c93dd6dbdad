"""Visibility and roles: grants reach down from organizations to projects to packages."""

import pytest
from django.contrib.auth.models import AnonymousUser

from packages_app.models import Package
from registry.access import ADMIN, READ, WRITE, GrantSnapshot, effective_rank, has_rank
from registry.models import GroupMembership, Organization, Project, Role
from tests.factories import GroupFactory, OrganizationFactory, PackageFactory, ProjectFactory, UserFactory, grant_on

pytestmark = pytest.mark.django_db


def test_an_organization_grant_reaches_its_projects_and_packages(user, organization, project, package, grant):
    grant(organization, Role.MEMBER, user=user)
    assert list(Project.objects.visible_to(user)) == [project]
    assert list(Package.objects.visible_to(user)) == [package]
    assert has_rank(user, package, READ)
    assert not has_rank(user, package, WRITE)


def test_a_project_grant_reaches_its_packages_but_not_sibling_projects(user, organization, project, package, grant):
    sibling = ProjectFactory(organization=organization)
    PackageFactory(project=sibling)
    grant(project, Role.MODELER, user=user)
    assert list(Package.objects.visible_to(user)) == [package]
    assert has_rank(user, package, WRITE)
    assert effective_rank(user, sibling) == 0


def test_a_package_grant_makes_its_parents_visible_but_not_readable_beyond_it(user, project, package, grant):
    other = PackageFactory(project=project)
    grant(package, Role.VIEWER, user=user)
    assert list(Organization.objects.visible_to(user)) == [project.organization]
    assert list(Project.objects.visible_to(user)) == [project]
    assert list(Package.objects.visible_to(user)) == [package]
    assert not has_rank(user, other, READ)


def test_a_group_grant_applies_to_its_members(organization, package, grant):
    group = GroupFactory(name="analysts")
    member, outsider = UserFactory(), UserFactory()
    member.groups.add(group)
    grant(organization, Role.ADMIN, group=group)
    assert has_rank(member, package, ADMIN)
    assert not Package.objects.visible_to(outsider).exists()


def test_the_highest_role_wins_across_levels(user, organization, project, package, grant):
    grant(organization, Role.MEMBER, user=user)
    grant(package, Role.ADMIN, user=user)
    assert effective_rank(user, package) == ADMIN
    assert effective_rank(user, project) == READ


def test_staff_see_and_may_do_everything(staff_user, package):
    other_org_package = PackageFactory(project=ProjectFactory(organization=OrganizationFactory()))
    assert set(Package.objects.visible_to(staff_user)) == {package, other_org_package}
    assert has_rank(staff_user, other_org_package, ADMIN)


def test_anonymous_users_see_nothing(package):
    from django.contrib.auth.models import AnonymousUser

    assert not Package.objects.visible_to(AnonymousUser()).exists()
    assert effective_rank(AnonymousUser(), package) == 0


# --- GrantSnapshot judges in Python exactly as the querysets and effective_rank judge in SQL -------------


@pytest.fixture
def small_registry():
    """Two organizations; the first holds two projects with two packages each."""
    acme, other = OrganizationFactory(name="acme"), OrganizationFactory(name="other")
    finance, sales = ProjectFactory(organization=acme, name="finance"), ProjectFactory(organization=acme, name="sales")
    elsewhere = ProjectFactory(organization=other, name="elsewhere")
    packages = [PackageFactory(project=p, name=f"{p.name}-{i}") for p in (finance, sales, elsewhere) for i in (1, 2)]
    return {
        "organization": acme,
        "project": finance,
        "package": packages[0],
        "other_project": sales,
        "other_package": packages[2],
        "other_organization": other,
        "objects": [acme, other, finance, sales, elsewhere, *packages],
    }


@pytest.mark.parametrize(
    "grants",
    [
        [],
        [("organization", Role.ADMIN)],
        [("organization", Role.MEMBER), ("project", Role.MODELER)],
        [("project", Role.VIEWER)],
        [("package", Role.ADMIN), ("other_project", Role.VIEWER)],
        [("other_package", Role.MODELER), ("other_organization", Role.MODELER)],
        [("package", Role.VIEWER), ("package", Role.MODELER, "group")],
        [("project", Role.ADMIN, "group"), ("other_package", Role.VIEWER)],
        [("other_project", Role.MODELER, "outer"), ("package", Role.VIEWER, "outer")],
        [("other_organization", Role.MEMBER, "outer"), ("project", Role.VIEWER, "group")],
    ],
    ids=lambda grants: "+".join("-".join(map(str, g)) for g in grants) or "none",
)
def test_the_grant_snapshot_agrees_with_visible_to_and_effective_rank(small_registry, grants):
    user = UserFactory(username="judged")
    group = GroupFactory(name="judged-group")
    group.user_set.add(user)
    outer = GroupFactory(name="outer-group")  # holds the user's group as a member: its grants reach the user
    GroupMembership.objects.create(group=outer, member_group=group)
    for scope, role, *via in grants:
        principal = {"user": user, "group": group, "outer": outer}[via[0] if via else "user"]
        grant_on(small_registry[scope], role, **{"user" if principal is user else "group": principal})

    snapshot = GrantSnapshot(user)
    visible = {
        Organization: set(Organization.objects.visible_to(user)),
        Project: set(Project.objects.visible_to(user)),
        Package: set(Package.objects.visible_to(user)),
    }
    for obj in small_registry["objects"]:
        assert snapshot.can_read(obj) == (obj in visible[type(obj)]), obj
        assert snapshot.rank(obj) == effective_rank(user, obj), obj


def test_a_grant_to_a_group_holding_the_users_group_reaches_the_user(small_registry):
    user = UserFactory(username="nested")
    group, outer = GroupFactory(name="inner"), GroupFactory(name="outer")
    group.user_set.add(user)
    GroupMembership.objects.create(group=outer, member_group=group)
    grant_on(small_registry["package"], Role.MODELER, group=outer)

    assert GrantSnapshot(user).rank(small_registry["package"]) == WRITE
    assert list(Package.objects.visible_to(user)) == [small_registry["package"]]


def test_a_grant_to_a_group_the_user_left_no_longer_reaches_them(small_registry):
    user = UserFactory(username="left")
    group = GroupFactory(name="former")
    group.user_set.add(user)
    grant_on(small_registry["project"], Role.ADMIN, group=group)
    group.user_set.remove(user)

    assert GrantSnapshot(user).rank(small_registry["project"]) == 0
    assert not Project.objects.visible_to(user).exists()


def test_the_grant_snapshot_gives_staff_everything_and_anonymous_nothing(small_registry):
    staff = UserFactory(username="root", is_staff=True)
    for obj in small_registry["objects"]:
        assert GrantSnapshot(staff).rank(obj) == ADMIN
        assert not GrantSnapshot(AnonymousUser()).can_read(obj)


def test_the_grant_snapshot_narrows_a_package_list_to_granted_packages(small_registry, django_assert_num_queries):
    user = UserFactory(username="narrow")
    grant_on(small_registry["package"], Role.VIEWER, user=user)
    project = small_registry["project"]
    with django_assert_num_queries(1):
        snapshot = GrantSnapshot(user)
    assert list(snapshot.readable_packages(Package.objects.filter(project=project), project)) == [
        small_registry["package"]
    ]


# --- components: a grant on the project, its organization or its component package reaches them ----------


@pytest.mark.parametrize(
    ("scope", "sees_components"),
    [
        ("organization", True),
        ("project", True),
        ("component_package", True),
        ("other_package", False),  # shows the project in v0 listings, but none of its components
        (None, False),
    ],
)
def test_the_component_rule_agrees_between_the_snapshot_and_the_queryset(scope, sees_components):
    from components_app.models import Component
    from components_app.selectors import component_area_rank
    from packages_app.models import PackageKind

    organization = OrganizationFactory(name="acme")
    project = ProjectFactory(organization=organization, name="widgets")
    component_package = PackageFactory(project=project, name="Widgets", kind=PackageKind.COMPONENTS)
    other_package = PackageFactory(project=project, name="models")
    component = Component.objects.create(project=project, name="Card", type="view")
    user = UserFactory(username="reader")
    scopes = {
        "organization": organization,
        "project": project,
        "component_package": component_package,
        "other_package": other_package,
    }
    if scope is not None:
        grant_on(scopes[scope], Role.MEMBER if scope == "organization" else Role.VIEWER, user=user)

    in_queryset = Component.objects.visible_to(user).filter(pk=component.pk).exists()
    by_snapshot = component_area_rank(GrantSnapshot(user), project) > 0
    assert in_queryset == by_snapshot == sees_components
