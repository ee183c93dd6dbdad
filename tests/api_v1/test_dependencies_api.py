import pytest

from components_app import services
from registry.models import Role
from tests.components.sources import bindjs
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def error_of(response):
    body = response.json()
    return body["error"]["code"], body["error"]["details"]


@pytest.fixture
def core(organization, modeler, grant):
    core = ProjectFactory(organization=organization, name="core")
    grant(core, Role.MODELER, user=modeler)
    services.create_component(project=core, name="Button", type="view", content=bindjs("button()"), author=modeler)
    services.publish_package(project=core, version="1.0.0", author=modeler)
    return core


def test_declaring_a_dependency_answers_201_with_the_updated_project_and_it_is_listed(api, base, core):
    response = api.post(f"{base}/dependencies", {"projectId": "Core", "version": "1.0.0"}, format="json")
    assert response.status_code == 201
    project = response.json()
    assert (project["id"], project["organizationId"]) == ("finance", "acme")
    assert [(d["projectId"], d["version"]) for d in project["dependencies"]] == [("core", "1.0.0")]
    body = api.get(f"{base}/dependencies").json()
    assert [(d["projectId"], d["name"], d["version"]) for d in body["data"]] == [("core", "core", "1.0.0")]


def test_declaring_it_again_re_pins_the_version_with_200(api, base, core, modeler):
    services.publish_package(project=core, version="1.1.0", author=modeler)
    api.post(f"{base}/dependencies", {"projectId": "core", "version": "1.0.0"}, format="json")
    response = api.post(f"{base}/dependencies", {"projectId": "core", "version": "1.1.0"}, format="json")
    assert response.status_code == 200
    assert [(d["projectId"], d["version"]) for d in response.json()["dependencies"]] == [("core", "1.1.0")]


def test_an_unknown_project_is_400_dependency_not_found(api, base):
    response = api.post(f"{base}/dependencies", {"projectId": "nope", "version": "1.0.0"}, format="json")
    assert response.status_code == 400
    assert error_of(response) == ("DEPENDENCY_NOT_FOUND", {"projectId": "nope"})


def test_a_project_the_caller_cannot_read_is_400_dependency_not_found(api, base, organization):
    ProjectFactory(organization=organization, name="secret")
    response = api.post(f"{base}/dependencies", {"projectId": "secret", "version": "1.0.0"}, format="json")
    assert error_of(response) == ("DEPENDENCY_NOT_FOUND", {"projectId": "secret"})


def test_an_unpublished_version_is_400_version_not_found(api, base, core):
    response = api.post(f"{base}/dependencies", {"projectId": "core", "version": "3.0.0"}, format="json")
    assert response.status_code == 400
    assert error_of(response) == ("VERSION_NOT_FOUND", {"projectId": "core", "version": "3.0.0"})


def test_a_dependency_closing_a_loop_is_409_circular_dependency_with_the_path(api, base, project, core, modeler):
    services.create_component(project=project, name="Card", type="view", content=bindjs("card()"), author=modeler)
    services.publish_package(project=project, version="1.0.0", author=modeler)
    services.add_project_dependency(project=core, depends_on=project, version="1.0.0")
    response = api.post(f"{base}/dependencies", {"projectId": "core", "version": "1.0.0"}, format="json")
    assert response.status_code == 409
    assert error_of(response) == ("CIRCULAR_DEPENDENCY", {"path": ["finance", "core", "finance"]})


def test_a_project_depending_on_itself_is_409_circular_dependency(api, base, modeler, project):
    services.create_component(project=project, name="Card", type="view", content=bindjs("card()"), author=modeler)
    services.publish_package(project=project, version="1.0.0", author=modeler)
    response = api.post(f"{base}/dependencies", {"projectId": "finance", "version": "1.0.0"}, format="json")
    assert response.status_code == 409
    assert error_of(response) == ("CIRCULAR_DEPENDENCY", {"path": ["finance", "finance"]})


def test_removing_a_dependency_answers_200_with_the_updated_project(api, base, core):
    api.post(f"{base}/dependencies", {"projectId": "core", "version": "1.0.0"}, format="json")
    response = api.delete(f"{base}/dependencies/core")
    assert (response.status_code, response.json()["id"], response.json()["dependencies"]) == (200, "finance", [])
    assert api.get(f"{base}/dependencies").json()["data"] == []


def test_removing_an_undeclared_dependency_is_404_dependency_not_found(api, base):
    response = api.delete(f"{base}/dependencies/core")
    assert response.status_code == 404
    assert error_of(response) == ("DEPENDENCY_NOT_FOUND", {"projectId": "core"})


def test_a_malformed_dependency_body_is_400_validation_failed(api, base):
    response = api.post(f"{base}/dependencies", {"version": "1.0.0"}, format="json")
    assert response.status_code == 400
    assert error_of(response)[0] == "VALIDATION_FAILED"


def test_a_data_model_package_named_after_the_project_is_not_a_component_package(
    api, base, organization, modeler, grant
):
    from tests.factories import PackageFactory, make_version

    reports = ProjectFactory(organization=organization, name="reports")
    grant(reports, Role.VIEWER, user=modeler)
    make_version(PackageFactory(project=reports, name="reports"), "1.0.0")
    response = api.post(f"{base}/dependencies", {"projectId": "reports", "version": "1.0.0"}, format="json")
    assert response.status_code == 400
    assert error_of(response) == ("VERSION_NOT_FOUND", {"projectId": "reports", "version": "1.0.0"})


@pytest.mark.parametrize("count", [1, 100])
def test_the_dependency_list_uses_a_constant_number_of_queries(
    api, base, project, organization, count, django_assert_max_num_queries
):
    from components_app.models import ProjectDependency
    from registry.models import Project

    targets = Project.objects.bulk_create(Project(organization=organization, name=f"dep{i}") for i in range(count))
    ProjectDependency.objects.bulk_create(
        ProjectDependency(project=project, depends_on=target, version="1.0.0") for target in targets
    )
    with django_assert_max_num_queries(6):
        response = api.get(f"{base}/dependencies?limit=100")
    assert len(response.json()["data"]) == count
