"""The OpenAPI schema states the constraints the server enforces, so a schema-driven client is not refused.

A schemathesis run over every operation (.ci/schemathesis) checks the whole; these pin the constraints it
first found missing, and the one value the server used to accept wrongly.
"""

import re

import jsonschema
import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator

from registry.models import Project
from registry.naming import NAME_PATTERN, VERSION_PATTERN

V0 = "/api/v0/organizations/{org}"
ORG = V0
PACKAGE = f"{ORG}/projects/{{project}}/packages/{{package}}"
V1_PROJECT = "/v1/organizations/{organizationId}/projects/{projectId}"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def parameter(schema, path: str, method: str, name: str) -> dict:
    operation = schema["paths"][path][method]
    return next(p for p in operation["parameters"] if p["name"] == name)["schema"]


def body_property(schema, path: str, method: str, name: str) -> dict:
    ref = schema["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"][name]


@pytest.mark.parametrize(
    "path",
    ["/api/v0/organizations", f"{V0}/projects", "/v1/organizations/{organizationId}/projects/{projectId}/components"],
)
def test_list_pages_start_at_1_and_hold_at_most_100(schema, path):
    assert parameter(schema, path, "get", "page") == {"type": "integer", "minimum": 1}
    assert parameter(schema, path, "get", "limit") == {"type": "integer", "minimum": 1, "maximum": 100}


def test_search_needs_a_query_that_is_not_blank(schema):
    q = parameter(schema, "/api/v0/search", "get", "q")
    assert q["minLength"] == 1
    assert "\\S" in q["pattern"]


def test_a_grant_names_a_user_or_a_group(schema):
    pattern = body_property(schema, f"{V0}/permissions", "post", "userGroupId")["pattern"]
    assert re.search(pattern, "group:analysts")
    assert not re.search(pattern, "analysts")


def test_group_token_names_follow_the_name_rule(schema):
    name = parameter(schema, f"{V0}/groups/{{group}}/tokens", "post", "name")
    assert name["pattern"] == "^[a-zA-Z0-9_-]+$"


@pytest.mark.django_db
@pytest.mark.parametrize("value", [0, 1.5, True, ["x"], {"a": 1}])
def test_a_project_description_that_is_not_a_string_is_400_and_not_stored(as_modeler, project, value):
    response = as_modeler.patch(
        f"/api/v0/organizations/{project.organization.name}/projects/{project.name}",
        {"description": value},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert "description" in response.json()["details"]["fields"]
    assert Project.objects.get(pk=project.pk).description != str(value)


def body_schema(schema: dict, path: str, method: str, media_type: str = "application/json") -> dict:
    reference = schema["paths"][path][method]["requestBody"]["content"][media_type]["schema"]["$ref"]
    return schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]


def component(schema: dict, reference_holder: dict) -> dict:
    reference = reference_holder.get("$ref") or reference_holder["allOf"][0]["$ref"]
    return schema["components"]["schemas"][reference.rsplit("/", 1)[-1]]


def request_strings(schema: dict) -> list[tuple[str, dict]]:
    """Every string property of the request bodies' components (requests have components of their own)."""
    return [
        (f"{name}.{field}", prop)
        for name, component_schema in schema["components"]["schemas"].items()
        if name.endswith("Request")
        for field, prop in component_schema.get("properties", {}).items()
        if prop.get("type") == "string" and not {"enum", "format"} & prop.keys()
    ]


def test_no_text_in_a_request_admits_a_nul_by_its_schema(schema):
    with_nul = ["\x00", "a\x00", "user:a\x00", "1.0.0\x00", "acme/finance\x00"]
    admitting = [
        name
        for name, prop in request_strings(schema)
        if any(jsonschema.Draft4Validator(prop).is_valid(text) for text in with_nul)
    ]
    assert request_strings(schema)
    assert admitting == []


def test_free_text_still_admits_any_other_text(schema):
    description = body_schema(schema, "/api/v0/organizations", "post")["properties"]["description"]
    assert jsonschema.Draft4Validator(description).is_valid("Ledgers, journals & trial balances — 2026\n")


@pytest.mark.django_db
def test_the_server_refuses_the_nul_the_schema_excludes(client_for, grant, user, organization):
    grant(organization, "admin", user=user)
    response = client_for(user).patch(
        f"/api/v0/organizations/{organization.name}", {"description": "a\x00b"}, format="json"
    )
    assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["description"])


def test_organization_grants_offer_organization_roles_and_project_grants_project_roles(schema):
    def roles(path: str, method: str) -> list[str]:
        return component(schema, body_schema(schema, path, method)["properties"]["permission"])["enum"]

    assert roles(f"{ORG}/permissions", "post") == ["admin", "modeler", "member"]
    assert roles(f"{ORG}/permissions/{{user_group_id}}", "patch") == ["admin", "modeler", "member"]
    assert roles(f"{ORG}/projects/{{project}}/permissions", "post") == ["admin", "modeler", "viewer"]
    assert roles(f"{PACKAGE}/permissions/{{user_group_id}}", "patch") == ["admin", "modeler", "viewer"]


def test_replication_count_is_bounded_by_the_storage_locations_configured():
    with override_settings(REGISTRY_STORAGE_LOCATIONS=["default", "replica-1"]):
        replication = body_schema(SchemaGenerator().get_schema(request=None, public=True), PACKAGE, "patch")[
            "properties"
        ]["replicationCount"]
    assert (replication["minimum"], replication["maximum"]) == (1, 2)


def test_the_upload_json_parts_are_objects_sent_as_json(schema):
    body = schema["paths"][PACKAGE]["post"]["requestBody"]["content"]["multipart/form-data"]
    parts = body_schema(schema, PACKAGE, "post", "multipart/form-data")["properties"]
    assert body["encoding"] == {
        "package": {"contentType": "application/json"},
        "version": {"contentType": "application/json"},
    }
    assert component(schema, parts["version"])["properties"]["id"]["pattern"] == VERSION_PATTERN
    assert "replicationCount" in component(schema, parts["package"])["properties"]


def test_names_and_versions_in_bodies_carry_their_patterns(schema):
    assert body_schema(schema, f"{ORG}/groups", "post")["properties"]["groupName"]["pattern"] == NAME_PATTERN
    dependency = body_schema(schema, f"{V1_PROJECT}/dependencies", "post")["properties"]
    assert (dependency["projectId"]["pattern"], dependency["version"]["pattern"]) == (NAME_PATTERN, VERSION_PATTERN)
    assert body_schema(schema, f"{V1_PROJECT}/packages", "post")["properties"]["version"]["pattern"] == VERSION_PATTERN


def test_refusing_a_pending_request_documents_both_answers(schema):
    response = schema["paths"][f"{PACKAGE}/permissions/{{user_group_id}}"]["patch"]["responses"]["200"]
    change = component(schema, response["content"]["application/json"]["schema"])
    answers = {reference["$ref"].rsplit("/", 1)[-1] for reference in change["oneOf"]}
    assert answers == {"V0PackagePermission", "V0PermissionRefused"}


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"groupName": 123}, {"groupName": " ops"}])
def test_a_group_name_is_taken_as_sent_and_must_be_text(client_for, grant, user, organization, body):
    grant(organization, "admin", user=user)
    response = client_for(user).post(f"/api/v0/organizations/{organization.name}/groups", body, format="json")
    assert (response.status_code, list(response.json()["details"]["fields"])) == (400, ["groupName"])


def test_component_names_carry_the_name_pattern_when_created_or_renamed(schema):
    components = f"{V1_PROJECT}/components"
    created = body_schema(schema, components, "post")["properties"]["name"]
    renamed = body_schema(schema, f"{components}/{{componentId}}", "put")["properties"]["name"]
    assert created["pattern"] == renamed["pattern"] == NAME_PATTERN


def test_an_asset_upload_states_the_file_types_it_takes(schema):
    body = schema["paths"][f"{V1_PROJECT}/components/{{componentId}}/assets"]["post"]["requestBody"]
    encoding = body["content"]["multipart/form-data"]["encoding"]
    assert encoding == {"file": {"contentType": "image/*, font/*, application/json"}}
