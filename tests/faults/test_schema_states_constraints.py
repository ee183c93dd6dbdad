"""The OpenAPI schema states the constraints the server enforces, so a schema-driven client is not refused.

A schemathesis run over every operation (.ci/schemathesis) checks the whole; these pin the constraints it
first found missing, and the one value the server used to accept wrongly.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from registry.models import Project

V0 = "/api/v0/organizations/{org}"


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
    assert body_property(schema, f"{V0}/permissions", "post", "userGroupId")["pattern"] == "^(user|group):.+$"


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
