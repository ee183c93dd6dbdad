"""Collections (folders of components) and the component list filters: collectionId, recursive, tags,
includeAssets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from components_app import services
from registry.models import Role
from tests.components.sources import bindjs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def error_of(response):
    body = response.json()
    return body["error"]["code"], body["error"]["details"]


@pytest.fixture
def create_collection(api, base):
    def send(name: str, folder=None):
        body = {"name": name} if folder is None else {"name": name, "folderId": folder}
        response = api.post(f"{base}/collections", body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return send


@pytest.fixture
def create_component(api, base):
    def send(name: str, *, collection=None, tags=()):
        body = {"name": name, "type": "view", "content": bindjs(f"{name.lower()}()"), "metadata": {"tags": list(tags)}}
        if collection is not None:
            body["collectionId"] = collection
        response = api.post(f"{base}/components", body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return send


def test_creating_a_collection_answers_201_with_its_documented_shape(api, base, create_collection):
    body = create_collection("UI Components")
    assert set(body) == {"id", "name", "folderId", "createdAt", "updatedAt"}
    assert (body["name"], body["folderId"]) == ("UI Components", None)
    assert api.get(f"{base}/collections/{body['id']}").json() == body


def test_a_sibling_with_the_same_name_is_409_collection_name_exists(api, base, create_collection):
    parent = create_collection("UI")
    create_collection("Buttons", parent["id"])
    create_collection("buttons")  # another level: allowed
    response = api.post(f"{base}/collections", {"name": "BUTTONS", "folderId": parent["id"]}, format="json")
    assert response.status_code == 409
    assert error_of(response) == ("COLLECTION_NAME_EXISTS", {"name": "BUTTONS"})
    response = api.post(f"{base}/collections", {"name": "ui"}, format="json")
    assert error_of(response) == ("COLLECTION_NAME_EXISTS", {"name": "ui"})


def test_the_collection_list_is_paged_and_filters_by_folder(api, base, create_collection):
    ui = create_collection("UI")
    create_collection("Buttons", ui["id"])
    create_collection("Layouts")
    body = api.get(f"{base}/collections").json()
    assert [c["name"] for c in body["data"]] == ["Buttons", "Layouts", "UI"]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 3, "pages": 1}
    assert [c["name"] for c in api.get(f"{base}/collections?folderId=null").json()["data"]] == ["Layouts", "UI"]
    assert [c["name"] for c in api.get(f"{base}/collections?folderId={ui['id']}").json()["data"]] == ["Buttons"]


def test_a_component_is_filed_in_a_collection_and_moved_without_changing_its_status(
    api, base, create_collection, create_component, publish
):
    ui = create_collection("UI")
    component = create_component("Card", collection=ui["id"])
    assert component["collectionId"] == ui["id"]
    publish("1.0.0")
    response = api.put(f"{base}/components/{component['id']}", {"collectionId": None}, format="json")
    assert (response.json()["collectionId"], response.json()["status"]) == (None, "published")


def test_a_collection_of_another_project_is_400_validation_failed(api, base, create_component):
    response = api.post(
        f"{base}/components",
        {"name": "Card", "type": "view", "content": bindjs(), "collectionId": "00000000-0000-0000-0000-000000000001"},
        format="json",
    )
    assert response.status_code == 400
    assert error_of(response)[0] == "VALIDATION_FAILED"
    assert "collectionId" in error_of(response)[1]["fields"]


def test_the_component_list_filters_by_collection_recursively_or_not(api, base, create_collection, create_component):
    ui = create_collection("UI")
    buttons = create_collection("Buttons", ui["id"])
    create_component("Root")
    create_component("Panel", collection=ui["id"])
    create_component("Button", collection=buttons["id"])

    def names(query: str) -> list[str]:
        response = api.get(f"{base}/components?{query}")
        assert response.status_code == 200, response.json()
        return [c["name"] for c in response.json()["data"]]

    assert names("") == ["Button", "Panel", "Root"]
    assert names(f"collectionId={ui['id']}") == ["Panel"]
    assert names(f"collectionId={ui['id']}&recursive=true") == ["Button", "Panel"]
    assert names("collectionId=null") == ["Root"]
    assert names("collectionId=null&recursive=true") == ["Button", "Panel", "Root"]
    assert api.get(f"{base}/components?collectionId=00000000-0000-0000-0000-000000000009").status_code == 404


def test_the_component_list_filters_by_tags(api, base, create_component):
    create_component("Card", tags=["shop", "ui"])
    create_component("Banner", tags=["ui"])
    create_component("Footer", tags=["shopping"])

    def names(query: str) -> list[str]:
        return [c["name"] for c in api.get(f"{base}/components?{query}").json()["data"]]

    assert names("tags=ui") == ["Banner", "Card"]
    assert names("tags=shop") == ["Card"]  # whole tags, not substrings
    assert names("tags=shop,ui") == ["Card"]
    assert names("tags=ui&tags=shop") == ["Card"]


def test_include_assets_puts_each_components_assets_in_the_list(
    api, base, make_component, django_assert_max_num_queries
):
    card = make_component("Card", content=bindjs("card()"))
    make_component("Plain", content=bindjs("plain()"))
    services.upload_asset(component=card, file=SimpleUploadedFile("data.json", b"{}"))
    with django_assert_max_num_queries(9):
        body = api.get(f"{base}/components?includeAssets=true").json()
    by_name = {c["name"]: c for c in body["data"]}
    assert [a["name"] for a in by_name["Card"]["assets"]] == ["data.json"]
    assert by_name["Plain"]["assets"] == []
    assert api.get(f"{base}/components").json()["data"][0]["assets"] is None  # not asked for


def test_deleting_a_collection_answers_200_and_moves_its_components_to_the_root(
    api, base, create_collection, create_component
):
    ui = create_collection("UI")
    inner = create_collection("Inner", ui["id"])
    component = create_component("Card", collection=inner["id"])
    response = api.delete(f"{base}/collections/{ui['id']}")
    assert (response.status_code, response.json()) == (
        200,
        {"message": "Collection successfully deleted", "id": ui["id"]},
    )
    assert api.get(f"{base}/collections").json()["data"] == []
    assert api.get(f"{base}/components/{component['id']}").json()["collectionId"] is None


def test_viewers_read_collections_and_only_modelers_write_them(client_for, project, grant, base, create_collection):
    ui = create_collection("UI")
    viewer = UserFactory(username="viewer")
    grant(project, Role.VIEWER, user=viewer)
    reader = client_for(viewer)
    assert reader.get(f"{base}/collections").status_code == 200
    assert reader.post(f"{base}/collections", {"name": "X"}, format="json").status_code == 403
    assert reader.delete(f"{base}/collections/{ui['id']}").status_code == 403


def test_an_outsider_finds_no_collections(client_for, base, create_collection):
    ui = create_collection("UI")
    outsider = client_for(UserFactory(username="outsider"))
    assert outsider.get(f"{base}/collections").status_code == 404
    assert outsider.get(f"{base}/collections/{ui['id']}").status_code == 404
    assert outsider.post(f"{base}/collections", {"name": "X"}, format="json").status_code == 404
