import pytest

from components_app import services
from components_app.models import Component
from registry.models import Role
from tests.api_v1.conftest import CARD_SOURCE
from tests.components.sources import bindjs
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]["code"], body["error"]["details"]


def test_creating_a_component_answers_201_with_a_draft_compiled_by_the_hook(api, base, modeler):
    response = api.post(
        f"{base}/components",
        {"name": "ProductCard", "type": "view", "content": CARD_SOURCE, "metadata": {"tags": ["shop"]}},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert (body["version"], body["lastPublishedVersion"]) == (None, None)
    assert (body["title"], body["description"]) == ("Product card", "Shows a product with its price.")
    assert body["schema"]["required"] == ["title"]
    assert body["schema"]["properties"]["price"]["default"] == 0
    assert "string;" not in body["compiled"]  # the type annotation is gone
    assert body["compiled"].startswith("export default defineComponent({")
    assert body["metadata"] == {
        "author": modeler.username,
        "tags": ["shop"],
        "rolledBackFrom": None,
        "packageVersions": [],
    }
    assert set(body) == {
        "id", "name", "title", "description", "type", "status", "content", "compiled", "schema",
        "version", "lastPublishedVersion", "collectionId", "metadata", "assets", "createdAt", "updatedAt",
    }  # fmt: skip


def test_a_name_already_used_in_the_project_in_any_case_is_409_component_name_exists(api, base, make_component):
    make_component("ProductCard")
    response = api.post(f"{base}/components", {"name": "productcard", "type": "view", "content": ""}, format="json")
    assert response.status_code == 409
    assert error_of(response) == ("COMPONENT_NAME_EXISTS", {"name": "productcard"})


def test_source_that_does_not_compile_is_400_compilation_error_with_line_and_column(api, base):
    response = api.post(
        f"{base}/components", {"name": "Broken", "type": "view", "content": bindjs("a()\nview([\n")}, format="json"
    )
    assert response.status_code == 400
    code, details = error_of(response)
    assert code == "COMPILATION_ERROR"
    assert details == {"errors": [{"line": 5, "column": 1, "message": "Expected ',', got 'view'"}]}


@pytest.mark.parametrize(
    "body",
    [
        {"name": "X", "type": "widget", "content": ""},
        {"name": "bad name", "type": "view", "content": ""},
        {"type": "view", "content": ""},
        {"name": ["X"], "type": "view", "content": ""},
        {"name": "X", "type": "view", "content": "", "metadata": {"tags": "not-a-list"}},
    ],
)
def test_a_malformed_body_is_400_validation_failed(api, base, body):
    response = api.post(f"{base}/components", body, format="json")
    assert response.status_code == 400
    assert error_of(response)[0] == "VALIDATION_FAILED"


def test_the_list_answers_the_metabind_envelope(api, base, make_component):
    for name in ("A", "B", "C"):
        make_component(name)
    response = api.get(f"{base}/components?limit=2&page=2")
    assert response.status_code == 200
    body = response.json()
    assert [c["name"] for c in body["data"]] == ["C"]
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3, "pages": 2}


def test_the_list_limit_is_at_most_100(api, base, make_component):
    make_component()
    assert api.get(f"{base}/components?limit=500").json()["pagination"]["limit"] == 100


def test_the_list_filters_by_status_type_and_search(api, base, make_component):
    make_component("ProductCard")
    make_component("ArticleLayout", type="layout", content=bindjs("stack()", title="Article page"))
    services.set_component_status(component=make_component("Old"), status="deleted")
    names = lambda query: [c["name"] for c in api.get(f"{base}/components?{query}").json()["data"]]  # noqa: E731
    assert names("status=deleted") == ["Old"]
    assert names("type=layout") == ["ArticleLayout"]
    assert names("search=article") == ["ArticleLayout"]
    assert names("search=product") == ["Old", "ProductCard"]  # title match too
    assert names("search=product&status=draft") == ["ProductCard"]


def test_an_unknown_status_filter_is_400_validation_failed(api, base):
    response = api.get(f"{base}/components?status=archived")
    assert response.status_code == 400
    assert error_of(response)[0] == "VALIDATION_FAILED"


@pytest.mark.parametrize("count", [1, 100])
def test_the_list_uses_a_constant_number_of_queries(api, base, project, modeler, count, django_assert_max_num_queries):
    Component.objects.bulk_create(
        Component(project=project, name=f"c{i}", type="view", content=bindjs("x()"), compiled="x()", author=modeler)
        for i in range(count)
    )
    # +2 over the plain list: metadata.packageVersions (the page's versions, then their package entries).
    with django_assert_max_num_queries(8):
        response = api.get(f"{base}/components?limit=100")
    assert len(response.json()["data"]) == count


def test_an_unknown_component_is_404_not_found_naming_it(api, base):
    response = api.get(f"{base}/components/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert error_of(response) == (
        "NOT_FOUND",
        {"resourceType": "component", "resourceId": "00000000-0000-0000-0000-000000000000"},
    )


def test_a_component_id_that_is_not_a_uuid_is_404_not_a_500(api, base):
    response = api.get(f"{base}/components/not-a-uuid")
    assert response.status_code == 404
    assert error_of(response) == ("NOT_FOUND", {"resourceType": "component", "resourceId": "not-a-uuid"})


def test_paths_name_organization_and_project_case_insensitively(api, make_component):
    make_component()
    assert api.get("/v1/organizations/ACME/projects/Finance/components").status_code == 200


def test_an_unknown_project_is_404_naming_the_project(api):
    response = api.get("/v1/organizations/acme/projects/nope/components")
    assert response.status_code == 404
    assert error_of(response) == ("NOT_FOUND", {"resourceType": "project", "resourceId": "nope"})


def test_a_project_the_caller_cannot_read_is_404(client_for, base, make_component):
    make_component()
    response = client_for(UserFactory(username="stranger")).get(f"{base}/components")
    assert response.status_code == 404
    assert error_of(response)[0] == "NOT_FOUND"


def test_a_viewer_may_read_but_not_create_components(client_for, base, project, grant):
    viewer = UserFactory(username="viewer")
    grant(project, Role.VIEWER, user=viewer)
    client = client_for(viewer)
    assert client.get(f"{base}/components").status_code == 200
    response = client.post(f"{base}/components", {"name": "X", "type": "view", "content": ""}, format="json")
    assert response.status_code == 403
    assert error_of(response)[0] == "FORBIDDEN"


def test_a_read_only_token_cannot_create_components(client_for, base, modeler):
    client = client_for(modeler, read_only=True)
    response = client.post(f"{base}/components", {"name": "X", "type": "view", "content": ""}, format="json")
    assert response.status_code == 403


def test_editing_a_published_component_makes_it_modified(api, base, make_component, publish):
    component = make_component()
    publish("1.0.0")
    response = api.put(f"{base}/components/{component.pk}", {"content": bindjs("view()")}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["version"], body["lastPublishedVersion"]) == ("modified", None, 1)


def test_renaming_onto_an_existing_name_is_409(api, base, make_component):
    make_component("A")
    other = make_component("B")
    response = api.put(f"{base}/components/{other.pk}", {"name": "a"}, format="json")
    assert response.status_code == 409
    assert error_of(response) == ("COMPONENT_NAME_EXISTS", {"name": "a"})


def test_deleting_a_component_no_package_contains_answers_200_with_message_and_id(api, base, make_component):
    component = make_component()
    response = api.delete(f"{base}/components/{component.pk}")
    assert (response.status_code, response.json()) == (
        200,
        {"message": "Component successfully deleted", "id": str(component.pk)},
    )
    assert api.get(f"{base}/components/{component.pk}").status_code == 404


def test_deleting_a_component_a_package_contains_is_409_component_in_use(api, base, make_component, publish):
    component = make_component()
    publish("1.0.0")
    response = api.delete(f"{base}/components/{component.pk}")
    assert response.status_code == 409
    code, details = error_of(response)
    assert code == "COMPONENT_IN_USE"
    assert details == {
        "referencedByPackages": ["1.0.0"],
        "hint": "Set its status to deleted to leave it out of future packages.",
    }


def test_requesting_published_status_is_409_invalid_status_transition(api, base, make_component):
    component = make_component()
    response = api.post(f"{base}/components/{component.pk}/status", {"status": "published"}, format="json")
    assert response.status_code == 409
    code, details = error_of(response)
    assert code == "INVALID_STATUS_TRANSITION"
    assert details == {
        "currentStatus": "draft",
        "requestedStatus": "published",
        "hint": "Components are published only by creating a package.",
    }


def test_deleting_and_restoring_through_the_status_endpoint(api, base, make_component):
    component = make_component()
    url = f"{base}/components/{component.pk}/status"
    assert api.post(url, {"status": "deleted"}, format="json").json()["status"] == "deleted"
    assert api.post(url, {"status": "draft"}, format="json").json()["status"] == "draft"


def test_discarding_a_never_published_component_is_409_no_published_version(api, base, make_component):
    component = make_component()
    response = api.post(f"{base}/components/{component.pk}/discard")
    assert response.status_code == 409
    code, details = error_of(response)
    assert code == "NO_PUBLISHED_VERSION"
    assert details["hint"].startswith("Delete the component instead")


def test_discarding_changes_returns_the_published_version(api, base, make_component, publish, modeler):
    component = make_component()
    publish("1.0.0")
    services.update_component(component=component, content=bindjs("other()"), author=modeler)
    body = api.post(f"{base}/components/{component.pk}/discard").json()
    assert (body["status"], body["version"], body["content"]) == ("published", 1, CARD_SOURCE)


def test_rolling_back_to_an_unknown_version_is_400_version_not_found(api, base, make_component, publish):
    component = make_component()
    publish("1.0.0")
    response = api.post(f"{base}/components/{component.pk}/rollback", {"version": 3}, format="json")
    assert response.status_code == 400
    assert error_of(response) == ("VERSION_NOT_FOUND", {"requestedVersion": 3, "availableVersions": [1]})


def test_rolling_back_makes_a_modified_copy_marked_with_its_origin(api, base, make_component, publish, modeler):
    component = make_component()
    publish("1.0.0")
    services.update_component(component=component, content=bindjs("two()"), author=modeler)
    publish("1.1.0")
    body = api.post(f"{base}/components/{component.pk}/rollback", {"version": 1}, format="json").json()
    assert (body["status"], body["content"], body["metadata"]["rolledBackFrom"]) == ("modified", CARD_SOURCE, 1)


def test_the_versions_list_names_the_package_version_that_published_each(api, base, make_component, publish, modeler):
    component = make_component()
    publish("1.0.0")
    services.update_component(component=component, content=bindjs("two()"), author=modeler)
    publish("1.1.0")
    body = api.get(f"{base}/components/{component.pk}/versions").json()
    assert [(v["version"], v["packageVersion"], v["createdBy"]) for v in body["data"]] == [
        (2, "1.1.0", modeler.username),
        (1, "1.0.0", modeler.username),
    ]


def test_a_request_without_a_token_is_401_in_the_v1_envelope(api_client, base):
    response = api_client.get(f"{base}/components")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


def test_a_body_that_is_not_json_is_400_in_the_v1_envelope(api, base):
    response = api.generic("POST", f"{base}/components", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MALFORMED_REQUEST"


def test_editing_a_deleted_component_is_409_invalid_status_with_a_hint(api, base, make_component):
    component = services.set_component_status(component=make_component(), status="deleted")
    response = api.put(f"{base}/components/{component.pk}", {"content": bindjs("x()")}, format="json")
    assert response.status_code == 409
    assert error_of(response) == (
        "INVALID_STATUS",
        {"currentStatus": "deleted", "hint": "Restore it with POST .../status first."},
    )


@pytest.mark.parametrize("count", [1, 100])
def test_the_versions_list_uses_a_constant_number_of_queries(
    api, base, make_component, publish, count, django_assert_max_num_queries
):
    from components_app.models import ComponentVersion

    component = make_component()
    package_version = publish("1.0.0").version
    ComponentVersion.objects.bulk_create(
        ComponentVersion(
            component=component, version=n, name=component.name, type="view", package_version=package_version
        )
        for n in range(2, count + 1)
    )
    # Token, project, the caller's grants, component, COUNT, page: the same for 1 version as for 100.
    with django_assert_max_num_queries(7):
        response = api.get(f"{base}/components/{component.pk}/versions?limit=100")
    assert len(response.json()["data"]) == count


def test_a_grant_on_another_package_in_the_project_reaches_none_of_its_components(
    client_for, project, grant, make_component, publish, base
):
    """A package-level grant shows the project in v0 listings; the components are the component
    package's, which that grant does not reach."""
    from tests.factories import PackageFactory, UserFactory

    make_component()
    publish("1.0.0")
    outsider = UserFactory(username="outsider", email="outsider@example.com")
    grant(PackageFactory(project=project, name="ledger"), "viewer", user=outsider)
    client = client_for(outsider)
    for path in ("components", "packages", "packages/1.0.0/resolved", "dependencies"):
        response = client.get(f"{base}/{path}")
        assert response.status_code == 404, (path, response.content)
        assert response.json()["error"]["code"] == "NOT_FOUND"


def test_a_modeler_of_the_component_package_may_read_and_publish_it(
    client_for, project, grant, make_component, publish, base
):
    from packages_app.models import Package
    from tests.factories import UserFactory

    make_component()
    publish("1.0.0")
    maintainer = UserFactory(username="maintainer", email="maintainer@example.com")
    grant(Package.objects.get(project=project, name=project.name), "modeler", user=maintainer)
    client = client_for(maintainer)
    assert client.get(f"{base}/components").status_code == 200
    components = client.get(f"{base}/components").json()["data"]
    client.put(f"{base}/components/{components[0]['id']}", {"description": "touched"}, format="json")
    assert client.post(f"{base}/packages", {"version": "1.1.0"}, format="json").status_code == 201


@pytest.mark.parametrize("version", ["99999999999999999999.0.0", "2147483648.0.0", "2." + "1" * 70 + ".0"])
def test_a_version_number_too_large_to_store_is_invalid_version_not_a_500(api, base, make_component, version):
    make_component()
    response = api.post(f"{base}/packages", {"version": version}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_VERSION"


def test_a_body_over_the_request_size_limit_is_413_in_the_envelope(api, base, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(f"{base}/components", {"name": "big", "type": "view", "content": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5"])
def test_a_malformed_page_is_400_naming_it_like_a_malformed_limit(api, base, page):
    response = api.get(f"{base}/components", {"page": page})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_FAILED"
    assert list(response.json()["error"]["details"]["fields"]) == ["page"]


def test_a_page_past_the_end_is_404_naming_the_page(api, base, make_component):
    make_component()
    response = api.get(f"{base}/components", {"page": "99"})
    assert response.status_code == 404
    assert response.json()["error"]["details"] == {"resourceType": "page", "resourceId": "99"}


def test_a_put_that_changes_nothing_leaves_a_published_component_published(api, base, make_component, publish):
    component = make_component()
    publish("1.0.0")
    response = api.put(f"{base}/components/{component.pk}", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "published"


def test_a_deleted_component_cannot_be_rolled_back_without_being_restored(api, base, make_component, publish):
    component = make_component()
    publish("1.0.0")
    api.post(f"{base}/components/{component.pk}/status", {"status": "deleted"}, format="json")
    response = api.post(f"{base}/components/{component.pk}/rollback", {"version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "INVALID_STATUS"
