"""Visibility and roles: grants reach down from organizations to projects to packages."""

import pytest

from packages_app.models import Package
from registry.access import ADMIN, READ, WRITE, effective_rank, has_rank
from registry.models import Organization, Project, Role
from tests.factories import GroupFactory, OrganizationFactory, PackageFactory, ProjectFactory, UserFactory

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
