"""Publishing one component, the draft package preview, package UUIDs, metadata.packageVersions and the
x-api-key header."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from components_app import services
from components_app.models import Component, ComponentVersion, PackageComponent
from packages_app.models import Version
from registry.models import Role
from tests.components.sources import bindjs
from tests.factories import UserFactory, make_token

pytestmark = pytest.mark.django_db


def error_of(response):
    body = response.json()
    return body["error"]["code"], body["error"]["details"]


def test_publishing_a_draft_component_makes_version_1_with_no_package(api, base, make_component):
    component = make_component()
    response = api.post(f"{base}/components/{component.pk}/publish")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["version"], body["lastPublishedVersion"]) == ("published", 1, 1)
    versions = api.get(f"{base}/components/{component.pk}/versions").json()["data"]
    assert [(v["version"], v["packageVersion"]) for v in versions] == [(1, None)]


def test_a_modified_component_publishes_at_the_next_number_and_the_next_package_includes_it(
    api, base, make_component, publish, modeler
):
    component = make_component()
    publish("1.0.0")
    services.update_component(component=component, content=bindjs("v2()"), author=modeler)
    assert api.post(f"{base}/components/{component.pk}/publish").json()["version"] == 2
    result = publish("1.1.0")
    key = str(component.pk)
    assert result.validation["statusChanges"]["published"] == [key]
    assert result.validation["componentChanges"]["updated"] == [key]
    assert result.validation["versionIncrements"] == {}
    package = api.get(f"{base}/packages/1.1.0").json()
    assert [(c["name"], c["version"]) for c in package["components"]] == [("ProductCard", 2)]
    assert "v2()" in package["compiled"]["components"]["ProductCard"]


@pytest.mark.parametrize("status", ["published", "deleted"])
def test_publishing_a_published_or_deleted_component_is_409_invalid_status(api, base, make_component, publish, status):
    component = make_component()
    publish("1.0.0")
    if status == "deleted":
        services.set_component_status(component=component, status="deleted")
    response = api.post(f"{base}/components/{component.pk}/publish")
    assert response.status_code == 409
    code, details = error_of(response)
    assert (code, details["currentStatus"]) == ("INVALID_STATUS", status)


def test_the_draft_package_previews_what_publishing_would_hold_and_report(api, base, make_component, publish, modeler):
    published = make_component("Banner", content=bindjs("banner()"))
    modified = make_component("Card", content=bindjs("card()"))
    publish("1.0.0")
    services.update_component(component=modified, content=bindjs("card(2)"), author=modeler)
    draft = make_component("Footer", content=bindjs("footer()"))
    services.upload_asset(component=draft, file=SimpleUploadedFile("strings.json", b"{}"))
    counts = (Version.objects.count(), ComponentVersion.objects.count(), PackageComponent.objects.count())

    response = api.get(f"{base}/packages/draft")
    assert response.status_code == 200
    body = response.json()
    assert (Version.objects.count(), ComponentVersion.objects.count(), PackageComponent.objects.count()) == counts
    assert (body["version"], body["previousVersion"]) == ("draft", "1.0.0")
    assert [(c["name"], c["status"], c["version"], c["nextVersion"]) for c in body["components"]] == [
        ("Banner", "published", 1, 1),
        ("Card", "modified", 1, 2),
        ("Footer", "draft", None, 1),
    ]
    assert [(a["name"], a["componentId"]) for a in body["assets"]] == [("strings.json", str(draft.pk))]
    assert body["dependencies"] == []
    # The preview's report is the one publishing answers.
    created = api.post(f"{base}/packages", {"version": "1.1.0"}, format="json").json()
    assert body["validation"] == created["validation"]
    assert str(published.pk) in body["validation"]["statusChanges"]["published"]


def test_the_draft_of_a_project_never_published_has_no_previous_version(api, base, make_component):
    make_component()
    body = api.get(f"{base}/packages/draft").json()
    assert body["previousVersion"] is None
    assert body["validation"]["componentChanges"]["added"] == [str(Component.objects.get().pk)]


def test_a_package_id_is_a_uuid_that_stays_the_same(api, base, make_component, publish):
    make_component()
    created = api.post(f"{base}/packages", {"version": "1.0.0"}, format="json").json()["package"]
    assert uuid.UUID(created["id"])
    assert api.get(f"{base}/packages/1.0.0").json()["id"] == created["id"]
    assert api.get(f"{base}/packages").json()["data"][0]["id"] == created["id"]


def test_a_component_lists_the_package_versions_holding_it(api, base, make_component, publish, modeler):
    component = make_component()
    other = make_component("Other", content=bindjs("other()"))
    publish("1.0.0")
    services.update_component(component=other, content=bindjs("other(2)"), author=modeler)
    publish("1.1.0")
    services.set_component_status(component=component, status="deleted")
    services.update_component(component=other, content=bindjs("other(3)"), author=modeler)
    publish("2.0.0")
    body = api.get(f"{base}/components/{component.pk}").json()
    assert body["metadata"]["packageVersions"] == ["1.0.0", "1.1.0"]
    listed = {c["name"]: c["metadata"]["packageVersions"] for c in api.get(f"{base}/components").json()["data"]}
    assert listed == {"Other": ["1.0.0", "1.1.0", "2.0.0"], "ProductCard": ["1.0.0", "1.1.0"]}


def test_viewers_read_the_draft_but_cannot_publish_a_component(client_for, project, grant, base, make_component):
    component = make_component()
    viewer = UserFactory(username="viewer")
    grant(project, Role.VIEWER, user=viewer)
    reader = client_for(viewer)
    assert reader.get(f"{base}/packages/draft").status_code == 200
    assert reader.post(f"{base}/components/{component.pk}/publish").status_code == 403


def test_an_outsider_finds_neither_the_draft_nor_the_component_to_publish(client_for, base, make_component):
    component = make_component()
    outsider = client_for(UserFactory(username="outsider"))
    assert outsider.get(f"{base}/packages/draft").status_code == 404
    assert outsider.post(f"{base}/components/{component.pk}/publish").status_code == 404


def test_the_x_api_key_header_authenticates_like_a_bearer_token(client, base, modeler, make_component):
    make_component()
    token = make_token(modeler)
    response = client.get(f"{base}/components", HTTP_X_API_KEY=token)
    assert (response.status_code, len(response.json()["data"])) == (200, 1)
    assert client.get(f"{base}/components", HTTP_X_API_KEY="not-a-token").status_code == 401
    assert client.get(f"{base}/components").status_code == 401
