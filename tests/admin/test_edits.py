"""Edits made in the console go through the same services as the APIs."""

import pytest
from django.urls import reverse

from packages_app.models import Package, UsedVersionNumber
from registry.models import Grant, Organization, Project, Role

pytestmark = pytest.mark.django_db


def test_adding_an_organization_makes_its_creator_its_admin(staff_client, staff_user):
    response = staff_client.post(
        reverse("admin:registry_organization_add"), {"name": "initech", "display_name": "Initech", "description": ""}
    )

    assert response.status_code == 302
    organization = Organization.objects.get(name="initech")
    assert Grant.objects.filter(organization=organization, user=staff_user, role=Role.ADMIN).exists()


def test_an_organization_name_differing_only_in_case_is_refused_on_the_form(staff_client, organization):
    response = staff_client.post(reverse("admin:registry_organization_add"), {"name": "ACME", "display_name": "x"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Organization.objects.count() == 1


def test_editing_an_organization_keeps_its_name(staff_client, organization):
    url = reverse("admin:registry_organization_change", args=[organization.pk])

    staff_client.post(url, {"name": "renamed", "display_name": "Acme Corp", "description": "Tools"})

    organization.refresh_from_db()
    assert (organization.name, organization.display_name, organization.description) == ("acme", "Acme Corp", "Tools")


def test_adding_a_project_in_the_console_creates_it(staff_client, organization):
    response = staff_client.post(
        reverse("admin:registry_project_add"), {"organization": organization.pk, "name": "ops", "description": "d"}
    )

    assert response.status_code == 302
    assert Project.objects.filter(organization=organization, name="ops", description="d").exists()


def test_editing_a_package_updates_its_metadata(staff_client, package):
    url = reverse("admin:packages_app_package_change", args=[package.pk])

    response = staff_client.post(url, {"description": "The ledger", "replication_count": 3, "tags": "finance"})

    assert response.status_code == 302
    package.refresh_from_db()
    assert (package.description, package.replication_count, package.tags) == ("The ledger", 3, ["finance"])


def test_a_replication_count_out_of_range_is_a_form_error(staff_client, package):
    url = reverse("admin:packages_app_package_change", args=[package.pk])

    response = staff_client.post(url, {"description": "", "replication_count": 11, "tags": "[]"})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    package.refresh_from_db()
    assert package.replication_count == 1


def test_deleting_a_package_keeps_its_version_numbers_used(staff_client, publish):
    version = publish("ledger", "1.0.0")
    url = reverse("admin:packages_app_package_delete", args=[version.package_id])

    response = staff_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Package.objects.filter(pk=version.package_id).exists()
    assert UsedVersionNumber.objects.filter(package_name="ledger", version="1.0.0").exists()


def test_a_package_another_version_depends_on_cannot_be_deleted(staff_client, publish):
    core = publish("core", "1.0.0")
    publish("app", "1.0.0", {"core": "^1.0.0"})

    response = staff_client.post(reverse("admin:packages_app_package_delete", args=[core.package_id]), {"post": "yes"})

    assert response.status_code == 200  # the admin lists what protects it instead of deleting
    assert Package.objects.filter(pk=core.package_id).exists()


@pytest.mark.parametrize("model", ["usedversionnumber", "dependency", "lockentry", "artifact", "artifactreplica"])
def test_rows_publishing_writes_cannot_be_deleted_one_by_one(staff_client, publish, model):
    """A deleted used version number would let 1.0.0 be published again with other bytes."""
    from django.apps import apps

    publish("core", "1.0.0")
    publish("app", "1.0.0", {"core": "^1.0.0"})
    row = apps.get_model("packages_app", model).objects.first()
    assert (
        staff_client.post(reverse(f"admin:packages_app_{model}_delete", args=[row.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert apps.get_model("packages_app", model).objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("level", ["project", "organization"])
def test_a_project_or_organization_holding_versions_can_be_deleted_from_the_console(staff_client, publish, level):
    from registry.models import Organization, Project

    version = publish("core", "1.0.0")
    publish("app", "1.0.0", {"core": "^1.0.0"})
    project = version.package.project
    target = project if level == "project" else project.organization
    response = staff_client.post(reverse(f"admin:registry_{level}_delete", args=[target.pk]), {"post": "yes"})
    assert response.status_code == 302, (response.context["perms_lacking"], response.context["protected"])
    model = Project if level == "project" else Organization
    assert not model.objects.filter(pk=target.pk).exists()
