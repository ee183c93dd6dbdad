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
        f"{PROJECT}/components/{{componentId}}/publish": {"post"},
        f"{PROJECT}/components/{{componentId}}/assets": {"get", "post"},
        f"{PROJECT}/components/{{componentId}}/assets/{{assetId}}": {"get", "delete"},
        f"{PROJECT}/components/{{componentId}}/assets/{{assetId}}/file": {"get"},
        f"{PROJECT}/collections": {"get", "post"},
        f"{PROJECT}/collections/{{collectionId}}": {"get", "delete"},
        f"{PROJECT}/dependencies": {"get", "post"},
        f"{PROJECT}/dependencies/{{dependencyProjectId}}": {"delete"},
        f"{PROJECT}/packages": {"get", "post"},
        f"{PROJECT}/packages/{{version}}": {"get"},
        f"{PROJECT}/packages/draft": {"get"},
        f"{PROJECT}/packages/{{version}}/resolved": {"get"},
        f"{PROJECT}/packages/{{version}}/assets/{{assetId}}": {"get"},
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


def test_asset_uploads_are_documented_as_multipart_with_their_parts(schema):
    operation = schema["paths"][f"{PROJECT}/components/{{componentId}}/assets"]["post"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][body]["properties"]) == {"file", "metadata", "tags"}
    assert {"201", "400", "409", "413"} <= set(operation["responses"])


def test_resolved_is_documented_in_metabinds_shape(schema):
    response = schema["paths"][f"{PROJECT}/packages/{{version}}/resolved"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    resolved = schema["components"]["schemas"][ref]
    assert set(resolved["properties"]) == {"package", "dependencies"}
    main = resolved["properties"]["package"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][main]["properties"]) == {"version", "components", "assets"}


def test_the_token_is_documented_in_either_header(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-api-key",
        "description": "The same token: x-api-key: <token>",
    }
    security = schema["paths"][f"{PROJECT}/components"]["get"]["security"]
    assert {"BearerAuth": []} in security
    assert {"ApiKeyAuth": []} in security


def test_every_v1_operation_is_described(schema):
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        if path.startswith("/v1/")
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert operations
    undescribed = [
        f"{method.upper()} {path}"
        for path, method, operation in operations
        if not (operation.get("summary") or operation.get("description"))
    ]
    assert undescribed == []
