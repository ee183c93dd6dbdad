"""The authorization matrix: every API operation, as each of six callers, answers the expected status
and never carries a byte of an organization's private data to someone who may not read it.

Operations are enumerated from the URLconf, so a new endpoint fails ``test_every_api_operation_has_a_
required_role`` until someone says here who may call it. Each request runs in a savepoint that is
rolled back, so a successful DELETE cannot change what the next request sees.
"""

import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from registry.models import PermissionRequest
from tests.api_v1.conftest import CARD_SOURCE
from tests.security.conftest import ACME_SECRET, GLOBEX_SECRET

# Who may call each operation: "any" (any authenticated caller; results are scoped to what they may
# read), "read", "write" (modeler) or "admin" on the acme resource in the path. ``-env`` routes (the
# ``environments`` alias) share their ``projects`` twin's row.
REQUIRED_ROLE = {
    ("v0-organization-list", "get"): "any",
    ("v0-organization-list", "post"): "any",
    ("v0-organization-detail", "get"): "read",
    ("v0-organization-detail", "patch"): "write",
    ("v0-organization-detail", "delete"): "admin",
    ("v0-organization-permissions", "get"): "admin",
    ("v0-organization-permissions", "post"): "admin",
    ("v0-organization-permission", "get"): "admin",
    ("v0-organization-permission", "patch"): "admin",
    ("v0-organization-permission", "delete"): "admin",
    ("v0-group-list", "get"): "read",
    ("v0-group-list", "post"): "admin",
    ("v0-group-detail", "get"): "read",
    ("v0-group-detail", "patch"): "admin",  # or an admin member of the group (tests/api_v0/test_groups.py)
    ("v0-group-detail", "delete"): "admin",
    ("v0-group-members", "get"): "read",
    ("v0-group-member", "patch"): "admin",
    ("v0-group-member", "delete"): "admin",
    ("v0-group-tokens", "post"): "admin",
    ("v0-group-tokens", "get"): "admin",
    ("v0-group-token", "delete"): "admin",
    ("v0-group-members", "post"): "admin",
    ("v0-search", "get"): "any",
    ("v0-project-list", "get"): "read",
    ("v0-project-list", "post"): "write",
    ("v0-project-detail", "get"): "read",
    ("v0-project-detail", "patch"): "write",
    ("v0-project-detail", "delete"): "admin",
    # A project's viewers, modelers and admins may list who has access to it (Credible's documentation).
    ("v0-project-permissions", "get"): "read",
    ("v0-project-permissions", "post"): "admin",
    ("v0-project-permission", "get"): "read",
    ("v0-project-permission", "patch"): "admin",
    ("v0-project-permission", "delete"): "admin",
    ("v0-package-list", "get"): "read",
    ("v0-package-detail", "get"): "read",
    ("v0-package-detail", "post"): "write",
    ("v0-package-detail", "patch"): "write",
    ("v0-package-detail", "delete"): "admin",
    ("v0-package-permissions", "get"): "admin",
    ("v0-package-permissions", "post"): "admin",
    ("v0-package-permission", "get"): "admin",
    ("v0-package-permission", "patch"): "admin",
    ("v0-package-permission", "delete"): "admin",
    ("v0-version-list", "get"): "read",
    ("v0-version-detail", "get"): "read",
    ("v0-version-detail", "patch"): "write",
    ("v0-version-download", "get"): "read",
    ("v0-version-contents", "get"): "read",
    ("v0-version-reindex", "post"): "write",
    ("v0-version-dependencies", "get"): "read",
    ("v0-version-graph", "get"): "read",
    ("v0-version-dependents", "get"): "read",
    ("v0-package-dependents", "get"): "read",
    ("v1:components", "get"): "read",
    ("v1:components", "post"): "write",
    ("v1:component", "get"): "read",
    ("v1:component", "put"): "write",
    ("v1:component", "delete"): "write",
    ("v1:component-status", "post"): "write",
    ("v1:component-discard", "post"): "write",
    ("v1:component-rollback", "post"): "write",
    ("v1:component-versions", "get"): "read",
    ("v1:dependencies", "get"): "read",
    ("v1:dependencies", "post"): "write",
    ("v1:dependency", "delete"): "write",
    ("v1:packages", "get"): "read",
    ("v1:packages", "post"): "write",
    ("v1:package", "get"): "read",
    ("v1:package-resolved", "get"): "read",
    ("v1:package-draft", "get"): "read",
    ("v1:package-asset", "get"): "read",
    ("v1:component-publish", "post"): "write",
    ("v1:component-assets", "get"): "read",
    ("v1:component-assets", "post"): "write",
    ("v1:component-asset", "get"): "read",
    ("v1:component-asset", "delete"): "write",
    ("v1:component-asset-file", "get"): "read",
    ("v1:collections", "get"): "read",
    ("v1:collections", "post"): "write",
    ("v1:collection", "get"): "read",
    ("v1:collection", "delete"): "write",
}

# Values for the path parameters; an unknown parameter fails the test (say what to use for it here).
PATH_VALUES = {
    "org": "acme",
    "project": "finance",
    "package": "ledger",
    "version_id": "1.0.0",
    "group": "ci",
    "token": "deploy",
    "user_group_id": "user:bystander@example.com",
    "member": "bystander@example.com",
    "organizationId": "acme",
    "projectId": "finance",
    "version": "1.0.0",
    "dependencyProjectId": "payroll",
}

# Bodies a caller allowed to make the request would send; whoever may not gets refused before parsing.
BODIES = {
    ("v0-organization-list", "post"): {"name": "initech", "displayName": "Initech"},
    ("v0-organization-detail", "patch"): {"description": "renamed"},
    ("v0-organization-permissions", "post"): {"userGroupId": "user:viewer@example.com", "permission": "modeler"},
    ("v0-group-members", "post"): {"members": [{"userGroupId": "user:viewer@example.com", "status": "member"}]},
    ("v0-group-list", "post"): {"groupName": "auditors", "description": "Reads the books"},
    ("v0-group-detail", "patch"): {"description": "Continuous integration"},
    ("v0-group-member", "patch"): {"status": "admin"},
    ("v0-organization-permission", "patch"): {"permission": "modeler", "message": "promoted"},
    ("v0-project-permission", "patch"): {"permission": "modeler"},
    ("v0-package-permission", "patch"): {"permission": "modeler"},
    ("v0-project-list", "post"): {"name": "audit"},
    ("v0-project-detail", "patch"): {"description": "changed"},
    ("v0-project-permissions", "post"): {"userGroupId": "user:viewer@example.com", "permission": "modeler"},
    ("v0-package-detail", "post"): {"package": json.dumps({"description": "updated"})},
    ("v0-package-detail", "patch"): {"description": "changed"},
    ("v0-package-permissions", "post"): {"userGroupId": "user:viewer@example.com", "permission": "modeler"},
    ("v0-version-detail", "patch"): {"archiveStatus": "archive"},
    ("v1:components", "post"): {"name": "PriceTag", "type": "view", "content": CARD_SOURCE},
    ("v1:component", "put"): {"content": CARD_SOURCE.replace("Product card", "Card")},
    ("v1:component-status", "post"): {"status": "deleted"},
    ("v1:component-rollback", "post"): {"version": 1},
    ("v1:dependencies", "post"): {"projectId": "payroll", "version": "1.0.0"},
    ("v1:packages", "post"): {"version": "2.0.0", "metadata": {"description": "next"}},
    ("v1:collections", "post"): {"name": "UI"},
    # a fresh file for every request (an upload reads it to the end)
    ("v1:component-assets", "post"): lambda: {"file": SimpleUploadedFile("data.json", b"{}")},
}
QUERY = {("v0-group-tokens", "post"): "?name=deploy", ("v0-search", "get"): "?q=ledger"}
MULTIPART = {("v0-package-detail", "post"), ("v1:component-assets", "post")}

# The private data each caller must never receive a byte of.
UNREADABLE = {
    "anonymous": [ACME_SECRET, GLOBEX_SECRET],
    "expired_token": [ACME_SECRET, GLOBEX_SECRET],
    "viewer": [GLOBEX_SECRET],
    "modeler": [GLOBEX_SECRET],
    "read_only_token": [GLOBEX_SECRET],
    "other_org_admin": [ACME_SECRET],
}
PERSONAS = ["anonymous", "viewer", "modeler", "other_org_admin", "read_only_token", "expired_token"]
# The request passes authorization: whatever the operation then answers (2xx, or a business-rule 4xx such
# as 409 COMPONENT_IN_USE), it is not 401, 403 or 404, and never a 5xx.
ALLOWED = "allowed"


@dataclass(frozen=True)
class Operation:
    name: str  # URL name, namespaced for v1 (``v1:components``)
    method: str
    view_class: type

    @property
    def key(self) -> tuple[str, str]:
        return self.name.removesuffix("-env"), self.method

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}"


def _walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield namespace, pattern


def api_operations() -> list[Operation]:
    operations = []
    for namespace, pattern in _walk(get_resolver().url_patterns):
        view_class = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
        name = f"{namespace}{pattern.name}"
        if view_class is None or not (name.startswith("v0-") or name.startswith("v1:")):
            continue
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view_class, method):
                operations.append(Operation(name, method, view_class))
    return operations


def expected_status(persona: str, role: str, method: str) -> int | str:
    if persona in {"anonymous", "expired_token"}:
        return 401
    if persona == "other_org_admin":
        return ALLOWED if role == "any" else 404
    if persona == "read_only_token":
        return ALLOWED if method == "get" else 403
    held = {"viewer": {"any", "read"}, "modeler": {"any", "read", "write"}}[persona]
    return ALLOWED if role in held else 403


def call(client, operation: Operation, path_values: dict[str, str], **headers):
    kwargs = {}
    for parameter in _parameters(operation):
        if parameter not in path_values:
            pytest.fail(f"{operation}: no value for path parameter {parameter!r}; add one to PATH_VALUES")
        kwargs[parameter] = path_values[parameter]
    url = reverse(operation.name, kwargs=kwargs) + QUERY.get(operation.key, "")
    body = BODIES.get(operation.key)
    if callable(body):
        body = body()
    send = getattr(client, operation.method)
    if operation.method == "get":
        return send(url, **headers)
    if operation.key in MULTIPART:
        return send(url, body or {}, format="multipart")
    return send(url, body, format="json") if body is not None else send(url)


def _parameters(operation: Operation) -> list[str]:
    for namespace, pattern in _walk(get_resolver().url_patterns):
        if f"{namespace}{pattern.name}" == operation.name:
            regex = pattern.pattern.regex
            return list(regex.groupindex)
    raise AssertionError(f"no route named {operation.name}")


def leaked(response, secret: str) -> bool:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    return secret.encode() in content or secret in headers


def run_matrix(personas, registry_data, persona: str, *, conditional: bool = False) -> list[str]:
    """Every operation as ``persona``; the list of what went wrong (empty when all is as expected).

    With ``conditional`` each read is made again with ``If-None-Match: *`` (which any current ETag
    matches), and both answers are judged: a 304 given before the permission check would tell a caller
    who may not read a resource that it exists.
    """
    acme = registry_data["acme"]
    path_values = {
        **PATH_VALUES,
        "componentId": str(acme["component"].pk),
        "assetId": str(acme["asset"].pk),
        "collectionId": str(acme["collection"].pk),
    }
    problems = []
    client = personas[persona]
    for operation in api_operations():
        role = REQUIRED_ROLE[operation.key]
        with transaction.atomic():
            responses = [call(client, operation, path_values)]
            if conditional and operation.method == "get":
                responses.append(call(client, operation, path_values, HTTP_IF_NONE_MATCH="*"))
            transaction.set_rollback(True)
        cache.clear()  # rate limits do not carry over from one rolled-back request
        expected = expected_status(persona, role, operation.method)
        for response in responses:
            got = response.status_code
            ok = (got not in {401, 403, 404} and got < 500) if expected == ALLOWED else got == expected
            if not ok:
                body = b"".join(response.streaming_content) if response.streaming else response.content
                problems.append(f"{operation}: expected {expected}, got {got}: {body[:200]!r}")
            for secret in UNREADABLE[persona]:
                if leaked(response, secret):
                    problems.append(f"{operation}: the response carries private data of another organization")
            if got >= 400 and not response["Content-Type"].startswith("application/json"):
                problems.append(f"{operation}: a {got} that is not a JSON error envelope")
    return problems


def test_every_api_operation_has_a_required_role():
    found = {operation.key for operation in api_operations()}
    assert found - set(REQUIRED_ROLE) == set(), "classify the new operations in REQUIRED_ROLE"
    assert set(REQUIRED_ROLE) - found == set(), "REQUIRED_ROLE names operations that no longer exist"


def test_the_matrix_covers_both_surfaces_and_the_environments_alias():
    names = {operation.name for operation in api_operations()}
    assert {"v0-package-detail", "v0-package-detail-env", "v1:components"} <= names
    assert len(api_operations()) >= 70


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_caller_gets_the_expected_status_everywhere_and_no_private_data(personas, registry_data, persona):
    assert run_matrix(personas, registry_data, persona) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_conditional_read_gets_the_same_verdict_as_a_plain_one(personas, registry_data, persona):
    assert run_matrix(personas, registry_data, persona, conditional=True) == []


def test_a_caller_who_may_not_read_a_package_gets_no_304_for_it_whatever_etag_it_sends(personas):
    url = "/api/v0/organizations/acme/projects/finance/packages/ledger"
    etag = personas["viewer"].get(url)["ETag"]
    assert personas["viewer"].get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    for persona in ("anonymous", "other_org_admin", "expired_token"):
        for sent in (etag, "*"):
            assert personas[persona].get(url, HTTP_IF_NONE_MATCH=sent).status_code in {401, 404}


def test_a_viewer_reading_acme_sees_its_data_so_the_leak_check_can_see_a_leak(personas):
    response = personas["viewer"].get("/api/v0/organizations/acme/projects/finance/packages/ledger")
    assert response.status_code == 200
    assert leaked(response, ACME_SECRET)


def test_the_other_organizations_admin_sees_their_own_data_but_not_acmes(personas):
    response = personas["other_org_admin"].get("/api/v0/organizations")
    assert [org["name"] for org in response.json()] == ["globex"]
    assert leaked(response, GLOBEX_SECRET)
    assert not leaked(response, ACME_SECRET)


# Asking for a role (``?requestPermission=true``) as each caller, for themselves: whoever may read the
# project gets a pending request (202); whoever may not gets the 404 anything unreadable gets.
REQUEST_VERDICTS = {
    "anonymous": 401,
    "expired_token": 401,
    "viewer": 202,
    "modeler": 202,
    "other_org_admin": 404,
    "read_only_token": 403,
}
OWN_EMAIL = {
    "viewer": "viewer@example.com",
    "modeler": "modeler@example.com",
    "read_only_token": "acme-admin@example.com",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_asking_for_a_role_is_a_pending_request_for_readers_and_nothing_for_others(personas, persona):
    email = OWN_EMAIL.get(persona, "globex-admin@example.com")
    response = personas[persona].post(
        "/api/v0/organizations/acme/projects/finance/permissions?requestPermission=true",
        {"userGroupId": f"user:{email}", "permission": "admin", "message": "I run the close"},
        format="json",
    )
    assert response.status_code == REQUEST_VERDICTS[persona]
    assert PermissionRequest.objects.filter(status="pending").count() == (1 if response.status_code == 202 else 0)
    assert not leaked(response, GLOBEX_SECRET)
    if persona == "other_org_admin":
        assert not leaked(response, ACME_SECRET)


@pytest.mark.parametrize("persona", ["viewer", "modeler"])
def test_nobody_asks_for_a_role_on_someone_elses_behalf(personas, persona):
    response = personas[persona].post(
        "/api/v0/organizations/acme/projects/finance/permissions?requestPermission=true",
        {"userGroupId": "user:bystander@example.com", "permission": "admin"},
        format="json",
    )
    assert response.status_code == 403
    assert not PermissionRequest.objects.exists()
