"""Organizations and projects (and the environments alias), with visibility and roles."""

import pytest

from registry.models import Grant, Organization, Project
from tests.factories import OrganizationFactory, ProjectFactory, make_version

pytestmark = pytest.mark.django_db

ORGS = "/api/v0/organizations"


def test_any_user_may_create_an_organization_and_becomes_its_admin(as_stranger, stranger):
    response = as_stranger.post(ORGS, {"name": "initech", "displayName": "Initech"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("name", "displayName", "description")} == {
        "name": "initech",
        "displayName": "Initech",
        "description": "",
    }
    assert Grant.objects.get(organization__name="initech").user == stranger


def test_organization_names_are_unique_case_insensitively(as_stranger, organization):
    response = as_stranger.post(ORGS, {"name": "ACME"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "ORGANIZATION_EXISTS"


def test_an_invalid_organization_name_is_400_naming_the_field(as_stranger):
    response = as_stranger.post(ORGS, {"name": "no spaces"}, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("name")


def test_the_organization_list_shows_only_readable_organizations(as_viewer, organization):
    OrganizationFactory(name="hidden")
    response = as_viewer.get(ORGS, {"page": 1})
    assert [o["name"] for o in response.json()] == ["acme"]
    assert response.headers["X-Total-Count"] == "1"


def test_an_unreadable_organization_is_404(as_viewer):
    OrganizationFactory(name="hidden")
    assert as_viewer.get(f"{ORGS}/hidden").status_code == 404


def test_organization_lookups_are_case_insensitive(as_viewer, organization):
    assert as_viewer.get(f"{ORGS}/ACME").json()["name"] == "acme"


def test_an_organization_modeler_may_edit_it(client_for, grant, organization, stranger):
    grant(organization, "modeler", user=stranger)
    response = client_for(stranger).patch(f"{ORGS}/acme", {"description": "Widgets"}, format="json")
    assert response.status_code == 200
    assert response.json()["description"] == "Widgets"


def test_a_project_viewer_cannot_edit_the_organization(as_viewer, organization):
    assert as_viewer.patch(f"{ORGS}/acme", {"description": "x"}, format="json").status_code == 403


def test_only_an_organization_admin_may_delete_it(client_for, grant, organization, stranger, user):
    grant(organization, "modeler", user=user)
    grant(organization, "admin", user=stranger)
    assert client_for(user).delete(f"{ORGS}/acme").status_code == 403
    assert client_for(stranger).delete(f"{ORGS}/acme").status_code == 204
    assert not Organization.objects.filter(name="acme").exists()


def test_projects_are_listed_with_their_organization(as_viewer, project):
    response = as_viewer.get(f"{ORGS}/acme/projects")
    assert response.status_code == 200
    assert [(p["name"], p["organizationName"]) for p in response.json()] == [("finance", "acme")]


def test_environments_is_an_alias_of_projects(as_viewer, project):
    assert as_viewer.get(f"{ORGS}/acme/environments").json() == as_viewer.get(f"{ORGS}/acme/projects").json()
    assert as_viewer.get(f"{ORGS}/acme/environments/finance").json()["name"] == "finance"


def test_a_project_grant_does_not_reveal_sibling_projects(as_viewer, project):
    ProjectFactory(organization=project.organization, name="secret")
    assert [p["name"] for p in as_viewer.get(f"{ORGS}/acme/projects").json()] == ["finance"]
    assert as_viewer.get(f"{ORGS}/acme/projects/secret").status_code == 404


def test_an_organization_modeler_may_create_a_project(client_for, grant, organization, stranger):
    grant(organization, "modeler", user=stranger)
    response = client_for(stranger).post(f"{ORGS}/acme/projects", {"name": "ops", "description": "Ops"}, format="json")
    assert response.status_code == 201
    assert Project.objects.filter(organization=organization, name="ops").exists()


def test_a_duplicate_project_name_is_409(client_for, grant, organization, project, stranger):
    grant(organization, "admin", user=stranger)
    response = client_for(stranger).post(f"{ORGS}/acme/projects", {"name": "FINANCE"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "PROJECT_EXISTS"


def test_a_project_admin_may_delete_it_with_its_packages(as_admin, package):
    make_version(package, "1.0.0")
    assert as_admin.delete(f"{ORGS}/acme/projects/finance").status_code == 204
    assert not Project.objects.filter(name="finance").exists()


def test_packages_are_listed_with_their_latest_version(as_viewer, package):
    make_version(package, "1.0.0")
    make_version(package, "1.2.0")
    response = as_viewer.get(f"{ORGS}/acme/projects/finance/packages")
    assert [(p["name"], p["latestVersion"]) for p in response.json()] == [("ledger", "1.2.0")]


def test_check_admin_is_403_for_a_modeler_and_200_for_an_admin(as_modeler, as_admin, package):
    url = f"{ORGS}/acme/projects/finance/packages/ledger"
    assert as_modeler.get(url, {"checkAdmin": "true"}).status_code == 403
    assert as_modeler.get(url).status_code == 200
    assert as_admin.get(url, {"checkAdmin": "true"}).status_code == 200


def test_a_package_patch_updates_its_metadata(as_modeler, package):
    url = f"{ORGS}/acme/projects/finance/packages/ledger"
    response = as_modeler.patch(url, {"description": "Books", "replicationCount": 2}, format="json")
    assert response.status_code == 200
    assert (response.json()["description"], response.json()["replicationCount"]) == ("Books", 2)


def test_only_an_admin_may_delete_a_package(as_modeler, as_admin, package):
    url = f"{ORGS}/acme/projects/finance/packages/ledger"
    assert as_modeler.delete(url).status_code == 403
    assert as_admin.delete(url).status_code == 204
    assert as_admin.get(url).status_code == 404


def test_a_package_another_version_depends_on_cannot_be_deleted(as_admin, package, project):
    from packages_app.models import Dependency
    from tests.factories import PackageFactory

    app = PackageFactory(project=project, name="app")
    app_version = make_version(app, "1.0.0")
    make_version(package, "1.0.0")
    Dependency.objects.create(version=app_version, package=package, reference="ledger", range="^1.0.0")
    response = as_admin.delete(f"{ORGS}/acme/projects/finance/packages/ledger")
    assert response.status_code == 409
    assert response.json()["code"] == "PACKAGE_IN_USE"
    assert response.json()["details"]["dependents"] == ["app@1.0.0"]


def depend(dependent_version, package, range_="^1.0.0"):
    from packages_app.models import Dependency, LockEntry

    Dependency.objects.create(version=dependent_version, package=package, reference=package.name, range=range_)
    LockEntry.objects.create(
        root=dependent_version, package=package, resolved=package.versions.get(), range=range_, depth=1
    )


def test_a_project_whose_packages_depend_on_each_other_can_be_deleted(as_admin, package, project):
    from tests.factories import PackageFactory

    make_version(package, "1.0.0")
    depend(make_version(PackageFactory(project=project, name="app"), "1.0.0"), package)
    assert as_admin.delete(f"{ORGS}/acme/projects/finance").status_code == 204
    assert not Project.objects.filter(name="finance").exists()


def test_a_project_a_package_elsewhere_depends_on_cannot_be_deleted(client_for, grant, organization, package):
    from tests.factories import PackageFactory, UserFactory

    make_version(package, "1.0.0")
    other = ProjectFactory(organization=organization, name="other")
    depend(make_version(PackageFactory(project=other, name="app"), "1.0.0"), package)
    boss = UserFactory(username="boss")
    grant(organization, "admin", user=boss)
    response = client_for(boss).delete(f"{ORGS}/acme/projects/finance")
    assert response.status_code == 409
    assert response.json()["details"]["dependents"] == ["app@1.0.0"]
    assert Project.objects.filter(name="finance").exists()


def test_an_organization_with_internal_dependencies_can_be_deleted(client_for, grant, organization, package):
    from tests.factories import PackageFactory, UserFactory

    make_version(package, "1.0.0")
    other = ProjectFactory(organization=organization, name="other")
    depend(make_version(PackageFactory(project=other, name="app"), "1.0.0"), package)
    boss = UserFactory(username="boss")
    grant(organization, "admin", user=boss)
    assert client_for(boss).delete(f"{ORGS}/acme").status_code == 204
