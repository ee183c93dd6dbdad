"""Deleting a project or organization through v0 takes its published components along."""

import pytest

from components_app.models import Component, ComponentVersion
from packages_app.models import Package
from registry.models import Organization, Project, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_project(project, make_component, publish):
    make_component("ProductCard")
    publish("1.0.0")
    return project


def test_deleting_a_project_with_published_components_removes_them_and_its_package(
    published_project, client_for, staff_user
):
    response = client_for(staff_user).delete("/api/v0/organizations/acme/projects/finance")
    assert response.status_code == 204
    assert not Project.objects.filter(pk=published_project.pk).exists()
    assert not Component.objects.exists()
    assert not ComponentVersion.objects.exists()
    assert not Package.objects.filter(project_id=published_project.pk).exists()


def test_deleting_an_organization_with_published_components_removes_everything(
    published_project, client_for, user, grant
):
    grant(published_project.organization, Role.ADMIN, user=user)
    response = client_for(user).delete("/api/v0/organizations/acme")
    assert response.status_code == 204
    assert not Organization.objects.exists()
    assert not ComponentVersion.objects.exists()
