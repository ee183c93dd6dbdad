"""The staff console shows component assets, package asset snapshots, collections, and versions published
on their own."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from components_app import services
from tests.components.sources import bindjs

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def card(project, staff_user):
    component = services.create_component(
        project=project, name="Card", type="view", content=bindjs("card()"), author=staff_user
    )
    services.upload_asset(component=component, file=SimpleUploadedFile("strings.json", b'{"a": 1}'))
    services.publish_package(project=project, version="1.0.0", author=staff_user)
    return component


def test_the_asset_list_shows_each_asset_with_its_digest_and_package_count(staff_client, card):
    response = staff_client.get(reverse("admin:components_app_componentasset_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    asset = card.assets.get()
    assert "strings.json" in html
    assert asset.artifact.sha256[:12] in html
    assert response.context["cl"].result_list[0].packages_total == 1


def test_asset_collection_and_snapshot_pages_open(staff_client, card, project):
    collection = services.create_collection(project=project, name="UI")
    asset = card.assets.get()
    for url in (
        reverse("admin:components_app_componentasset_change", args=[asset.pk]),
        reverse("admin:components_app_packageasset_changelist"),
        reverse("admin:components_app_collection_changelist"),
        reverse("admin:components_app_collection_change", args=[collection.pk]),
    ):
        assert staff_client.get(url).status_code == 200, url


def test_a_version_published_on_its_own_shows_on_the_component_page(staff_client, card, staff_user):
    services.update_component(component=card, content=bindjs("card(2)"), author=staff_user)
    services.publish_component(component=card, author=staff_user)
    response = staff_client.get(reverse("admin:components_app_component_change", args=[card.pk]))
    assert response.status_code == 200
    assert "published on its own" in response.content.decode()
    response = staff_client.get(reverse("admin:components_app_componentversion_changelist"))
    assert "published on its own" in response.content.decode()
