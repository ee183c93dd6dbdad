"""Component assets: upload, list, get, delete, and their round trip through a package and `resolved`."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from components_app import services
from components_app.models import ComponentAsset
from packages_app.models import Artifact
from registry.models import Role
from tests.components.sources import bindjs
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def png(width: int = 200, height: int = 100, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def error_of(response):
    body = response.json()
    return body["error"]["code"], body["error"]["details"]


@pytest.fixture
def card(make_component):
    return make_component("Card", content=bindjs("card()"))


@pytest.fixture
def assets_url(base, card):
    return f"{base}/components/{card.pk}/assets"


@pytest.fixture
def post_asset(api, assets_url):
    def send(name="logo-2x.png", data=None, *, client=None, url=None, **parts):
        body = {"file": upload(name, png() if data is None else data), **parts}
        return (client or api).post(url or assets_url, body, format="multipart")

    return send


def test_uploading_an_image_answers_201_with_its_type_size_and_dimensions(post_asset, card):
    data = png(200, 100)
    response = post_asset(data=data, metadata=json.dumps({"alt": "Logo"}), tags=json.dumps(["logo", "brand"]))
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id", "componentId", "name", "type", "url", "size", "status", "metadata", "tags", "createdAt", "updatedAt",
    }  # fmt: skip
    assert (body["name"], body["type"], body["size"], body["status"]) == (
        "logo-2x.png",
        "image/png",
        len(data),
        "active",
    )
    assert body["componentId"] == str(card.pk)
    assert body["metadata"] == {"alt": "Logo", "width": 200, "height": 100, "format": "png"}
    assert body["tags"] == ["logo", "brand"]


def test_the_asset_url_serves_its_bytes_with_the_sha256_as_etag(api, post_asset):
    data = png(3, 4)
    body = post_asset(data=data).json()
    response = api.get(body["url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "image/png"
    artifact = ComponentAsset.objects.get(pk=body["id"]).artifact
    assert response["ETag"] == f'"{artifact.sha256}"'
    assert api.get(body["url"], HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_identical_bytes_are_stored_once(api, base, post_asset, make_component):
    other = make_component("Other", content=bindjs("other()"))
    data = png(5, 5)
    post_asset(data=data)
    post_asset("copy.png", data=data, url=f"{base}/components/{other.pk}/assets")
    assert ComponentAsset.objects.count() == 2
    assert Artifact.objects.filter(sha256=ComponentAsset.objects.first().artifact.sha256).count() == 1


@pytest.mark.parametrize(
    ("name", "data", "expected_type", "expected_format"),
    [
        ("icon.svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", "svg"),
        ("font.woff2", b"wOF2" + b"\x00" * 60, "font/woff2", "woff2"),
        ("font.ttf", b"\x00\x01\x00\x00" + b"\x00" * 60, "font/ttf", "ttf"),
        ("strings.json", b'{"hello": "world"}', "application/json", "json"),
    ],
)
def test_fonts_svg_and_json_are_accepted_and_typed_by_their_bytes(
    post_asset, name, data, expected_type, expected_format
):
    body = post_asset(name, data=data).json()
    assert (body["type"], body["metadata"]) == (expected_type, {"format": expected_format})


def test_a_file_of_another_type_is_400_unsupported_file_type_and_nothing_is_stored(api, assets_url):
    file = upload("setup.exe", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/x-msdownload")
    response = api.post(assets_url, {"file": file}, format="multipart")
    assert response.status_code == 400
    assert error_of(response) == (
        "UNSUPPORTED_FILE_TYPE",
        {"type": "application/x-msdownload", "supportedTypes": ["image/*", "font/*", "application/json"]},
    )
    assert not ComponentAsset.objects.exists()
    assert not Artifact.objects.exists()


def test_a_file_over_the_limit_is_413_file_too_large(post_asset, settings):
    settings.REGISTRY_ASSET_MAX_BYTES = 1024 * 1024
    data = png(8, 8) + b"\x00" * (1536 * 1024)  # trailing bytes after the PNG's end
    response = post_asset(data=data)
    assert response.status_code == 413
    code, details = error_of(response)
    assert code == "FILE_TOO_LARGE"
    assert (details["maxSize"], details["providedSize"]) == ("1MB", "1.5MB")
    assert (details["maxSizeBytes"], details["providedSizeBytes"]) == (1024 * 1024, len(data))
    assert not ComponentAsset.objects.exists()


def test_a_name_the_component_already_has_is_409_asset_name_exists(post_asset):
    post_asset("logo.png")
    response = post_asset("LOGO.png", data=png(9, 9))
    assert response.status_code == 409
    assert error_of(response) == ("ASSET_NAME_EXISTS", {"name": "LOGO.png"})


def test_an_upload_without_a_file_is_400_validation_failed(api, assets_url):
    response = api.post(assets_url, {"tags": "x"}, format="multipart")
    assert response.status_code == 400
    assert error_of(response)[0] == "VALIDATION_FAILED"


def test_the_list_filters_by_type_search_and_tags_and_is_paged(api, assets_url, post_asset):
    post_asset("logo.png", tags="brand,logo")
    post_asset("hero.png", data=png(10, 10), tags=json.dumps(["hero"]))
    post_asset("strings.json", data=b"[]", tags="brand")

    def names(query: str) -> list[str]:
        return [a["name"] for a in api.get(f"{assets_url}?{query}").json()["data"]]

    assert names("") == ["hero.png", "logo.png", "strings.json"]
    assert names("type=image/png") == ["hero.png", "logo.png"]
    assert names("type=image/*") == ["hero.png", "logo.png"]
    assert names("type=application/json") == ["strings.json"]
    assert names("search=LOG") == ["logo.png"]
    assert names("tags=brand") == ["logo.png", "strings.json"]
    assert names("tags=brand&tags=logo") == ["logo.png"]
    body = api.get(f"{assets_url}?limit=2&page=2").json()
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3, "pages": 2}


@pytest.mark.parametrize("count", [1, 30])
def test_the_asset_list_uses_a_constant_number_of_queries(api, assets_url, card, count, django_assert_max_num_queries):
    data = png(2, 2)
    for n in range(count):
        services.upload_asset(component=card, file=upload(f"a{n}.png", data))
    with django_assert_max_num_queries(8):
        response = api.get(f"{assets_url}?limit=100")
    assert len(response.json()["data"]) == count


def test_one_asset_by_its_id_and_an_unknown_one_is_404(api, assets_url, post_asset):
    body = post_asset().json()
    assert api.get(f"{assets_url}/{body['id']}").json() == body
    response = api.get(f"{assets_url}/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert error_of(response)[0] == "NOT_FOUND"


def test_deleting_an_asset_no_package_holds_answers_200_with_message_and_id(api, assets_url, post_asset):
    asset_id = post_asset().json()["id"]
    response = api.delete(f"{assets_url}/{asset_id}")
    assert (response.status_code, response.json()) == (200, {"message": "Asset successfully deleted", "id": asset_id})
    assert api.get(f"{assets_url}/{asset_id}").status_code == 404


def test_deleting_an_asset_a_package_holds_is_409_asset_in_use(api, assets_url, post_asset, publish, modeler, card):
    asset_id = post_asset().json()["id"]
    publish("1.0.0")
    services.update_component(component=card, content=bindjs("card(2)"), author=modeler)
    publish("1.1.0")
    response = api.delete(f"{assets_url}/{asset_id}")
    assert response.status_code == 409
    assert error_of(response) == ("ASSET_IN_USE", {"referencedByPackages": ["1.0.0", "1.1.0"]})


def test_assets_round_trip_through_a_package_and_resolved(api, base, assets_url, post_asset, publish, card):
    logo = png(20, 10, "blue")
    asset = post_asset("logo.png", data=logo).json()
    publish("1.0.0")

    package = api.get(f"{base}/packages/1.0.0").json()
    url = f"http://testserver{base}/packages/1.0.0/assets/{asset['id']}"
    assert package["assets"] == [{"id": asset["id"], "name": "logo.png", "url": url, "componentId": str(card.pk)}]
    assert package["compiled"]["assets"] == {"Card": [{"name": "logo.png", "url": url}]}

    resolved = api.get(f"{base}/packages/1.0.0/resolved").json()
    assert resolved["package"]["assets"] == {"Card": [{"name": "logo.png", "url": url}]}
    assert resolved["package"]["components"] == {"Card": card.compiled}

    response = api.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == logo
    assert "immutable" in response["Cache-Control"]
    assert api.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_package_keeps_its_assets_when_the_component_gets_new_ones(api, base, post_asset, publish, modeler, card):
    post_asset("logo.png")
    publish("1.0.0")
    post_asset("hero.png", data=png(30, 30))
    services.update_component(component=card, content=bindjs("card(2)"), author=modeler)
    publish("1.1.0")

    def asset_names(version: str) -> list[str]:
        return [a["name"] for a in api.get(f"{base}/packages/{version}/resolved").json()["package"]["assets"]["Card"]]

    assert asset_names("1.0.0") == ["logo.png"]
    assert asset_names("1.1.0") == ["hero.png", "logo.png"]


def test_an_asset_url_of_another_package_version_is_404(api, base, post_asset, publish, modeler, card):
    publish("1.0.0")
    asset_id = post_asset().json()["id"]
    services.update_component(component=card, content=bindjs("card(2)"), author=modeler)
    publish("1.1.0")
    assert api.get(f"{base}/packages/1.1.0/assets/{asset_id}").status_code == 200
    assert api.get(f"{base}/packages/1.0.0/assets/{asset_id}").status_code == 404


def test_resolved_with_dependencies_carries_their_assets(api, base, project, organization, modeler, grant, publish):
    core = ProjectFactory(organization=organization, name="core")
    grant(core, Role.MODELER, user=modeler)
    button = services.create_component(project=core, name="Button", type="view", content=bindjs("b()"), author=modeler)
    icon = services.upload_asset(component=button, file=upload("icon.svg", b"<svg></svg>"))
    services.publish_package(project=core, version="2.0.0", author=modeler)
    services.add_project_dependency(project=project, depends_on=core, version="2.0.0")
    services.create_component(project=project, name="Card", type="view", content=bindjs("card()"), author=modeler)
    publish("1.0.0")

    body = api.get(f"{base}/packages/1.0.0/resolved?includeDependencies=true").json()
    icon_url = f"http://testserver/v1/organizations/acme/projects/core/packages/2.0.0/assets/{icon.pk}"
    assert body["dependencies"] == {
        "core@2.0.0": {
            "components": {"Button": button.compiled},
            "assets": {"Button": [{"name": "icon.svg", "url": icon_url}]},
        }
    }
    assert body["package"]["assets"] == {}


def test_readers_list_and_download_assets_but_only_modelers_write_them(
    client_for, project, grant, post_asset, assets_url
):
    asset = post_asset().json()
    viewer = UserFactory(username="viewer")
    grant(project, Role.VIEWER, user=viewer)
    reader = client_for(viewer)
    assert reader.get(assets_url).status_code == 200
    assert reader.get(asset["url"]).status_code == 200
    response = post_asset("other.png", client=reader)
    assert (response.status_code, error_of(response)[0]) == (403, "FORBIDDEN")
    assert reader.delete(f"{assets_url}/{asset['id']}").status_code == 403


def test_an_outsider_finds_no_assets(client_for, post_asset, assets_url):
    asset = post_asset().json()
    outsider = client_for(UserFactory(username="outsider"))
    for response in (
        outsider.get(assets_url),
        outsider.get(f"{assets_url}/{asset['id']}"),
        outsider.get(asset["url"]),
        post_asset("x.png", client=outsider),
        outsider.delete(f"{assets_url}/{asset['id']}"),
    ):
        assert response.status_code == 404


def test_deleting_a_project_takes_its_published_assets_along(post_asset, publish, client_for, staff_user):
    post_asset()
    publish("1.0.0")
    response = client_for(staff_user).delete("/api/v0/organizations/acme/projects/finance")
    assert response.status_code == 204
    assert not ComponentAsset.objects.exists()
