import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from components_app import services
from components_app.models import Component
from registry.models import Role
from tests.components.sources import bindjs
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"

# The seed's example request, byte for byte (metabind-create-package.txt).
SEED_BODY = """{
"version": "1.0.0",
"metadata": {
"description": "Initial release"
}
}"""


def error_of(response):
    body = response.json()
    return body["error"]["code"], body["error"]["details"]


def test_the_seed_example_request_works_verbatim(api, base, make_component):
    make_component()
    response = api.generic("POST", f"{base}/packages", SEED_BODY, content_type="application/json")
    assert response.status_code == 201
    package = response.json()["package"]
    assert (package["version"], package["metadata"]["description"]) == ("1.0.0", "Initial release")


def test_the_seed_template_spelling_of_metadata_keys_is_accepted(api, base, make_component):
    make_component()
    body = {"version": "1.0.0", "metadata": {"metadata.description": "Templated", "metadata.tags": ["ui"]}}
    response = api.post(f"{base}/packages", body, format="json")
    assert response.status_code == 201
    assert response.json()["package"]["metadata"]["tags"] == ["ui"]


def normalized(body: dict, names: dict[str, str]) -> dict:
    """The response with ids and timestamps replaced by stable placeholders."""
    text = json.dumps(body, sort_keys=True)
    for component_id, name in names.items():
        text = text.replace(component_id, f"<{name}>")
    data = json.loads(text)
    data["package"]["id"] = "<id>"
    data["package"]["createdAt"] = data["package"]["updatedAt"] = "<timestamp>"
    return data


def test_the_201_body_matches_the_golden_response(api, base, make_component, publish, modeler):
    card, layout = make_component("ProductCard"), make_component("ArticleLayout", type="layout")
    legacy = make_component("Legacy")
    publish("1.0.0")
    services.update_component(component=layout, content=bindjs("stack([])", title="Article"), author=modeler)
    services.set_component_status(component=legacy, status="deleted")
    hero = make_component(
        "Hero", content=bindjs("image()", title="Hero", properties="{ image: PropertyString({ required: true }) }")
    )
    response = api.post(
        f"{base}/packages",
        {"version": "1.1.0", "metadata": {"description": "Hero and a new article layout", "tags": ["ui", "core"]}},
        format="json",
    )
    assert response.status_code == 201
    names = {str(c.pk): c.name for c in (card, layout, legacy, hero)}
    actual = normalized(response.json(), names)
    assert actual["package"]["metadata"]["author"] == modeler.username  # the caller, never from the body
    actual["package"]["metadata"]["author"] = "<author>"
    golden = GOLDEN / "publish_201.json"
    if os.environ.get("UPDATE_GOLDEN"):  # regenerate after an intended change, then review the diff
        golden.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
    expected = json.loads(golden.read_text())
    assert actual == expected


def test_a_version_that_is_not_x_y_z_is_400_invalid_version(api, base, make_component):
    make_component()
    response = api.post(f"{base}/packages", {"version": "1.0"}, format="json")
    assert response.status_code == 400
    assert error_of(response) == ("INVALID_VERSION", {"provided": "1.0", "expected": "X.Y.Z format"})


@pytest.mark.parametrize("version", ["01.0.0", "1.0.0-beta", "v1.0.0", " 1.0.0", ""])
def test_anything_but_strict_x_y_z_is_refused(api, base, make_component, version):
    make_component()
    response = api.post(f"{base}/packages", {"version": version}, format="json")
    assert response.status_code == 400
    assert error_of(response)[0] in {"INVALID_VERSION", "VALIDATION_FAILED"}


def test_a_version_below_the_latest_is_400_invalid_version_naming_the_latest(api, base, make_component, publish):
    make_component()
    publish("2.0.0")
    response = api.post(f"{base}/packages", {"version": "1.9.9"}, format="json")
    assert response.status_code == 400
    assert error_of(response) == ("INVALID_VERSION", {"provided": "1.9.9", "latest": "2.0.0"})


def test_an_existing_version_is_409_version_exists(api, base, make_component, publish):
    make_component()
    publish("1.0.0")
    response = api.post(f"{base}/packages", {"version": "1.0.0"}, format="json")
    assert response.status_code == 409
    assert error_of(response) == ("VERSION_EXISTS", {"version": "1.0.0"})


def test_a_project_without_components_is_400_no_components_to_package(api, base):
    response = api.post(f"{base}/packages", {"version": "1.0.0"}, format="json")
    assert response.status_code == 400
    assert error_of(response) == ("NO_COMPONENTS_TO_PACKAGE", {"projectId": "finance"})


def test_a_viewer_cannot_publish(client_for, base, project, grant, make_component):
    from tests.factories import UserFactory

    make_component()
    viewer = UserFactory(username="viewer")
    grant(project, Role.VIEWER, user=viewer)
    response = client_for(viewer).post(f"{base}/packages", {"version": "1.0.0"}, format="json")
    assert response.status_code == 403


def test_packages_are_listed_newest_first(api, base, make_component, publish, modeler):
    component = make_component()
    for version in ("1.0.0", "1.2.0", "1.10.0"):
        services.update_component(component=component, content=bindjs(f"v('{version}')"), author=modeler)
        publish(version)
    body = api.get(f"{base}/packages").json()
    assert [p["version"] for p in body["data"]] == ["1.10.0", "1.2.0", "1.0.0"]
    assert body["pagination"]["total"] == 3


@pytest.mark.parametrize("count", [1, 100])
def test_the_package_list_uses_a_constant_number_of_queries(
    api, base, make_component, publish, modeler, count, django_assert_max_num_queries
):
    component = make_component()
    make_component("Other")
    for minor in range(count):
        services.update_component(component=component, content=bindjs(f"v({minor})"), author=modeler)
        publish(f"1.{minor}.0")
    # +1 for the assets each version snapshotted (its UUID comes in the same query as the version).
    with django_assert_max_num_queries(9):
        response = api.get(f"{base}/packages?limit=100")
    assert len(response.json()["data"]) == count


def test_one_package_version_by_its_number(api, base, make_component, publish):
    make_component()
    publish("1.0.0", description="first")
    body = api.get(f"{base}/packages/1.0.0").json()
    assert (body["version"], body["projectId"], body["metadata"]["description"]) == ("1.0.0", "finance", "first")
    assert body["compiled"]["components"]["ProductCard"].startswith("export default defineComponent")


def test_an_unknown_package_version_is_404_not_found(api, base, make_component, publish):
    make_component()
    publish("1.0.0")
    response = api.get(f"{base}/packages/9.9.9")
    assert response.status_code == 404
    assert error_of(response) == ("NOT_FOUND", {"resourceType": "package", "resourceId": "finance@9.9.9"})


@pytest.fixture
def core(organization, modeler, grant):
    """acme/core with a component package 1.0.0 the modeler may read."""
    core = ProjectFactory(organization=organization, name="core")
    grant(core, Role.VIEWER, user=modeler)
    services.create_component(project=core, name="Button", type="view", content=bindjs("button()"), author=modeler)
    services.publish_package(project=core, version="1.0.0", author=modeler)
    return core


def test_resolved_gives_compiled_code_by_component_name(api, base, make_component, publish):
    make_component("Card", content=bindjs("card()"))
    publish("1.0.0")
    body = api.get(f"{base}/packages/1.0.0/resolved").json()
    card = Component.objects.get(name="Card").compiled
    assert "body: ()=>card()" in card
    assert body == {"package": {"version": "1.0.0", "components": {"Card": card}, "assets": {}}, "dependencies": {}}


def test_resolved_with_dependencies_adds_the_flattened_closure_keyed_project_at_version(
    api, base, project, core, make_component, publish
):
    services.add_project_dependency(project=project, depends_on=core, version="1.0.0")
    make_component("Card", content=bindjs("card()"))
    publish("1.0.0")
    body = api.get(f"{base}/packages/1.0.0/resolved?includeDependencies=true").json()
    button = Component.objects.get(project=core, name="Button").compiled
    assert body["dependencies"] == {"core@1.0.0": {"components": {"Button": button}, "assets": {}}}


def test_a_package_lists_its_project_dependencies(api, base, project, core, make_component):
    services.add_project_dependency(project=project, depends_on=core, version="1.0.0")
    make_component()
    body = api.post(f"{base}/packages", {"version": "1.0.0"}, format="json").json()
    assert body["package"]["dependencies"] == [{"projectId": "core", "version": "1.0.0"}]


def test_a_conflicting_closure_is_409_invalid_package_dependency(
    api, base, project, core, organization, modeler, grant, make_component
):
    services.publish_package(project=core, version="1.1.0", author=modeler)
    ui = ProjectFactory(organization=organization, name="ui")
    grant(ui, Role.VIEWER, user=modeler)
    services.add_project_dependency(project=ui, depends_on=core, version="1.1.0")
    services.create_component(project=ui, name="Shell", type="layout", content=bindjs("shell()"), author=modeler)
    services.publish_package(project=ui, version="1.0.0", author=modeler)
    services.add_project_dependency(project=project, depends_on=core, version="1.0.0")
    services.add_project_dependency(project=project, depends_on=ui, version="1.0.0")
    make_component()
    response = api.post(f"{base}/packages", {"version": "1.0.0"}, format="json")
    assert response.status_code == 409
    code, details = error_of(response)
    assert code == "INVALID_PACKAGE_DEPENDENCY"
    assert details == {
        "conflicts": [
            {
                "package": "core",
                "required": {"by": "finance@1.0.0", "version": "1.0.0"},
                "provided": {"by": "ui@1.0.0", "version": "1.1.0"},
                "available": ["1.1.0", "1.0.0"],
            }
        ]
    }
    assert Component.objects.get(project=project).status == "draft"  # nothing was published


def test_a_loop_back_to_the_project_is_409_circular_dependency_with_the_cycle(
    api, base, project, core, modeler, make_component, publish
):
    make_component()
    publish("1.0.0")
    services.add_project_dependency(project=core, depends_on=project, version="1.0.0")
    services.publish_package(project=core, version="2.0.0", author=modeler)
    services.remove_project_dependency(project=core, depends_on_name="finance")
    services.add_project_dependency(project=project, depends_on=core, version="2.0.0")
    response = api.post(f"{base}/packages", {"version": "2.0.0"}, format="json")
    assert response.status_code == 409
    assert error_of(response) == ("CIRCULAR_DEPENDENCY", {"cycle": ["finance@2.0.0", "core@2.0.0", "finance@1.0.0"]})


@pytest.mark.parametrize("count", [10, 200])
def test_publishing_takes_a_bounded_number_of_queries_whatever_the_component_count(
    api, base, project, modeler, count, django_assert_max_num_queries
):
    Component.objects.bulk_create(
        Component(project=project, name=f"c{i:04d}", type="view", content=bindjs("x()"), compiled="x()", author=modeler)
        for i in range(count)
    )
    # ~60 on SQLite, nearly all fixed costs (authentication, grants, constraint checks of full_clean);
    # only SQLite's bulk_create batching (999 variables) adds a query per few hundred components.
    with django_assert_max_num_queries(62):
        response = api.post(f"{base}/packages", {"version": "1.0.0"}, format="json")
    assert response.status_code == 201
    assert len(response.json()["package"]["components"]) == count


def test_a_published_component_package_is_downloadable_through_v0_like_any_upload(api, base, make_component, publish):
    make_component("Card", content=bindjs("card()"))
    version = publish("1.0.0").version
    response = api.get("/api/v0/organizations/acme/projects/finance/packages/finance/versions/1.0.0/download")
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    assert zipfile.ZipFile(io.BytesIO(data)).read("components/Card.js") == bindjs("card()").encode()
    assert response["ETag"].strip('"') == version.artifact.sha256


def test_a_v0_upload_into_a_component_package_is_refused_with_409(api, make_component, publish):
    from packages_app.models import Version
    from tests.api_v0.conftest import upload

    make_component()
    publish("1.0.0")
    response = upload(api, package="finance", version="5.0.0")
    assert response.status_code == 409
    assert response.json()["code"] == "PACKAGE_KIND_MISMATCH"
    assert not Version.objects.filter(version="5.0.0").exists()


def test_another_organization_holding_the_default_identifier_cannot_block_a_first_publish(api, make_component, base):
    from packages_app.models import Package
    from tests.factories import OrganizationFactory, PackageFactory, ProjectFactory

    squatter = ProjectFactory(organization=OrganizationFactory(name="evil"), name="p")
    PackageFactory(project=squatter, name="squat", resource_identifier="acme/finance/finance")
    make_component()
    response = api.post(f"{base}/packages", {"version": "1.0.0"}, format="json")
    assert response.status_code == 201, response.content
    created = Package.objects.get(project__organization__name="acme", name="finance")
    assert created.resource_identifier.startswith("acme/finance/finance:")
