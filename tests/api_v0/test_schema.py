"""The OpenAPI schema documents every v0 route, its multipart parts and its errors."""

import inspect

import pytest
from drf_spectacular.generators import SchemaGenerator

from registry.api.v0.common import V0View
from registry.api.v0.views import PermissionsMixin

ORG = "/api/v0/organizations/{org}"
PROJECT = f"{ORG}/projects/{{project}}"
PACKAGE = f"{PROJECT}/packages/{{package}}"
VERSION = f"{PACKAGE}/versions/{{version_id}}"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_v0_route_is_in_the_schema_under_both_path_words(schema):
    routes = {
        "/api/v0/organizations": {"get", "post"},
        ORG: {"get", "patch", "delete"},
        f"{ORG}/permissions": {"get", "post"},
        f"{ORG}/permissions/{{user_group_id}}": {"delete"},
        f"{ORG}/groups/{{group}}/tokens": {"post"},
        f"{ORG}/projects": {"get", "post"},
        PROJECT: {"get", "patch", "delete"},
        f"{PROJECT}/permissions": {"get", "post"},
        f"{PROJECT}/packages": {"get"},
        PACKAGE: {"get", "post", "patch", "delete"},
        f"{PACKAGE}/permissions": {"get", "post"},
        f"{PACKAGE}/versions": {"get"},
        VERSION: {"get", "patch"},
        f"{VERSION}/download": {"get"},
    }
    documented = {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()}
    for path, methods in routes.items():
        assert methods <= documented[path], path
        alias = path.replace("/projects", "/environments")
        assert methods <= documented[alias], alias


def test_the_seed_endpoint_documents_its_four_multipart_parts_and_errors(schema):
    operation = schema["paths"][PACKAGE]["post"]
    body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][body]["properties"]) == {"package", "version", "packageFile", "md5Hash"}
    assert {"200", "201", "400", "401", "403", "404", "409", "413"} <= set(operation["responses"])


def test_list_endpoints_document_their_paging_headers(schema):
    for path in ("/api/v0/organizations", f"{PROJECT}/packages", f"{PACKAGE}/versions", f"{PACKAGE}/permissions"):
        headers = schema["paths"][path]["get"]["responses"]["200"]["headers"]
        assert {"X-Total-Count", "Link"} <= set(headers), path


def test_path_parameters_carry_their_patterns(schema):
    parameters = {p["name"]: p for p in schema["paths"][VERSION]["get"]["parameters"]}
    assert "^[a-zA-Z0-9_-]+$" in parameters["package"]["description"]
    assert "^[a-zA-Z0-9_.-]+$" in parameters["version_id"]["description"]


def test_the_schema_generates_without_warnings():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_no_v0_operation_is_described_by_a_base_views_docstring(schema):
    base_docs = {inspect.getdoc(base) for base in (PermissionsMixin, V0View)}
    described_by_a_base = [
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v0/")
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"} and operation.get("description") in base_docs
    ]
    assert described_by_a_base == []
