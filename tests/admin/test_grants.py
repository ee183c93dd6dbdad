"""Grants added in the console: a duplicate or misshapen grant is explained in words, never by constraint name."""

import pytest
from django.urls import reverse

from packages_app.models import PackageGrant
from registry.models import Grant
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = "admin:registry_grant_add"


def form_errors(response) -> list[str]:
    form = response.context["adminform"].form
    return [str(message) for messages in form.errors.values() for message in messages]


def test_a_duplicate_user_grant_on_an_organization_is_answered_in_words(staff_client, organization, grant):
    ada = UserFactory(username="ada", email="ada@example.com")
    existing = grant(organization, "admin", user=ada)

    response = staff_client.post(reverse(ADD), {"organization": organization.pk, "user": ada.pk, "role": "member"})

    assert response.status_code == 200
    change_url = reverse("admin:registry_grant_change", args=[existing.pk])
    assert form_errors(response) == [
        "user:ada@example.com already has a grant on organization acme (role admin): "
        f'<a href="{change_url}">change that grant</a> instead.'
    ]
    page = response.content.decode()
    assert f'<a href="{change_url}">change that grant</a>' in page  # a working link, not escaped markup
    assert "Constraint" not in page
    assert Grant.objects.count() == 1


def test_a_duplicate_group_grant_on_a_project_is_answered_in_words(staff_client, project, grant):
    analysts = GroupFactory(name="analysts")
    grant(project, "viewer", group=analysts)

    response = staff_client.post(reverse(ADD), {"project": project.pk, "group": analysts.pk, "role": "modeler"})

    assert form_errors(response)[0].startswith(
        "group:analysts already has a grant on project acme/finance (role viewer)"
    )
    assert "grant_unique_project_group" not in response.content.decode()


def test_changing_the_role_of_a_grant_is_not_taken_for_a_duplicate_of_itself(staff_client, organization, grant):
    ada = UserFactory(username="ada")
    existing = grant(organization, "member", user=ada)

    response = staff_client.post(
        reverse("admin:registry_grant_change", args=[existing.pk]),
        {"organization": organization.pk, "user": ada.pk, "role": "admin"},
    )

    assert response.status_code == 302
    existing.refresh_from_db()
    assert existing.role == "admin"


def test_a_grant_on_two_scopes_at_once_is_refused_in_words(staff_client, organization, project):
    ada = UserFactory(username="ada")

    response = staff_client.post(
        reverse(ADD), {"organization": organization.pk, "project": project.pk, "user": ada.pk, "role": "viewer"}
    )

    assert form_errors(response) == [
        "A grant is on exactly one organization or project: choose one of them (not organization and project)."
    ]
    assert "grant_exactly_one_scope" not in response.content.decode()


def test_a_grant_to_nobody_is_refused_in_words(staff_client, organization):
    response = staff_client.post(reverse(ADD), {"organization": organization.pk, "role": "member"})

    assert form_errors(response) == ["A grant is given to one user or one group: choose one."]
    assert "grant_exactly_one_principal" not in response.content.decode()


def test_a_role_that_does_not_fit_the_scope_is_refused_in_words(staff_client, project):
    ada = UserFactory(username="ada")

    response = staff_client.post(reverse(ADD), {"project": project.pk, "user": ada.pk, "role": "member"})

    assert form_errors(response) == [
        "On a project the role is one of admin, modeler, viewer; “member” is not one of them."
    ]
    assert "grant_role_fits_scope" not in response.content.decode()


def test_a_new_grant_is_saved(staff_client, project):
    ada = UserFactory(username="ada")

    response = staff_client.post(reverse(ADD), {"project": project.pk, "user": ada.pk, "role": "modeler"})

    assert response.status_code == 302
    assert Grant.objects.get(project=project, user=ada).role == "modeler"


def test_a_new_package_grant_is_saved_among_the_package_grants(staff_client, package):
    ada = UserFactory(username="ada")

    response = staff_client.post(
        reverse("admin:packages_app_packagegrant_add"), {"package": package.pk, "user": ada.pk, "role": "modeler"}
    )

    assert response.status_code == 302
    assert PackageGrant.objects.get(package=package, user=ada).role == "modeler"


def test_a_duplicate_package_grant_points_to_the_existing_one(staff_client, package, grant):
    ada = UserFactory(username="ada")
    existing = grant(package, "viewer", user=ada)

    response = staff_client.post(
        reverse("admin:packages_app_packagegrant_add"), {"package": package.pk, "user": ada.pk, "role": "admin"}
    )

    assert reverse("admin:packages_app_packagegrant_change", args=[existing.pk]) in form_errors(response)[0]


def test_a_package_grant_with_an_organization_role_is_refused_in_words(staff_client, package):
    ada = UserFactory(username="ada")

    response = staff_client.post(
        reverse("admin:packages_app_packagegrant_add"), {"package": package.pk, "user": ada.pk, "role": "member"}
    )

    assert form_errors(response) == ["Select a valid choice. member is not one of the available choices."]
    assert not PackageGrant.objects.exists()


def test_the_grant_list_names_who_and_where_in_two_columns(staff_client, project, grant):
    grant(project, "viewer", group=GroupFactory(name="analysts"))

    page = staff_client.get(reverse("admin:registry_grant_changelist")).content.decode()

    assert "group:analysts" in page
    assert '<span class="quiet">project</span> acme/finance' in page
