"""Every console page renders for the demo registry: no template or query mistake hides behind a link."""

import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from packages_app.models import Package, Version

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # index the demo versions, as after a real publish
        call_command("load_demo", stdout=io.StringIO())


def test_every_changelist_and_change_page_of_the_demo_registry_renders(staff_client, demo):
    registered = [model for model in apps.get_models() if admin.site.is_registered(model)]
    assert registered  # the loop below checks something
    for model in registered:
        model_admin = admin.site.get_model_admin(model)
        opts = model._meta
        changelist = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert changelist.status_code == 200, opts.label
        first = model_admin.get_queryset(changelist.wsgi_request).first()
        if first is not None:
            page = staff_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
            assert page.status_code == 200, opts.label


def test_every_graph_and_check_page_of_the_demo_registry_renders(staff_client, demo):
    assert Version.objects.filter(lock_entries__isnull=False).exists()  # the demo has locks to draw

    for version in Version.objects.all():
        for name in ("graph", "dependents"):
            response = staff_client.get(reverse(f"admin:packages_app_version_{name}", args=[version.pk]))
            assert response.status_code == 200, (name, version.label)
            assert b"<svg" in response.content
    for package in Package.objects.all():
        response = staff_client.get(reverse("admin:packages_app_package_check", args=[package.pk]))
        assert response.status_code == 200, package.name
