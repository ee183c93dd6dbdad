import pytest
from drf_spectacular.generators import SchemaGenerator

PROJECT = "/v1/organizations/{organizationId}/projects/{projectId}"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_v1_route_is_in_the_openapi_schema(schema):
    assert {
        f"{PROJECT}/components": {"get", "post"},
        f"{PROJECT}/components/{{componentId}}": {"get", "put", "delete"},
        f"{PROJECT}/components/{{componentId}}/status": {"post"},
        f"{PROJECT}/components/{{componentId}}/discard": {"post"},
        f"{PROJECT}/components/{{componentId}}/rollback": {"post"},
        f"{PROJECT}/components/{{componentId}}/versions": {"get"},
        f"{PROJECT}/dependencies": {"get", "post"},
        f"{PROJECT}/dependencies/{{dependencyProjectId}}": {"delete"},
        f"{PROJECT}/packages": {"get", "post"},
        f"{PROJECT}/packages/{{version}}": {"get"},
        f"{PROJECT}/packages/{{version}}/resolved": {"get"},
    }.items() <= {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()}.items()


def test_the_validation_report_lists_are_defined_in_the_schema(schema):
    components = schema["components"]["schemas"]
    changes = components["ComponentChanges"]["properties"]
    assert "previous package version" in changes["added"]["description"]
    assert "versionIncrements" in changes["updated"]["description"]
    assert components["StatusChanges"]["properties"]["published"]["description"]


def test_list_endpoints_document_the_metabind_envelope(schema):
    response = schema["paths"][f"{PROJECT}/components"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"data", "pagination"}
