"""What every v0 view shares: the base class, name lookups that answer 404, and schema helpers."""

from django.utils.functional import cached_property
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from registry.access import GrantSnapshot, require
from registry.api.pagination import V0Pagination
from registry.api.v0.streaming import whole_list
from registry.authentication import is_read_only
from registry.errors import RegistryError, not_found, validation_failed
from registry.models import Organization, Project
from registry.naming import NAME_PATTERN, VERSION_ID_PATH_PATTERN
from registry.selectors import project_named


@extend_schema_serializer(component_name="V0Error")
class ErrorSerializer(serializers.Serializer):
    """The v0 error body, as Credible documents it."""

    code = serializers.CharField(help_text="Machine-readable error code, e.g. VERSION_EXISTS")
    message = serializers.CharField()
    details = serializers.DictField(required=False, help_text="Present when there is more to say")


class NoBodySerializer(serializers.Serializer):
    """For a method that takes no body: the browsable API shows its button and no fields."""


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


# The errors any authenticated v0 endpoint may answer.
COMMON_ERRORS = {
    401: error("UNAUTHENTICATED: missing, unknown, expired or revoked token"),
    404: error("NOT_FOUND: the resource does not exist or the caller may not read it"),
}
WRITE_ERRORS = {
    **COMMON_ERRORS,
    400: error("VALIDATION_FAILED naming the field, or MALFORMED_REQUEST"),
    403: error("FORBIDDEN: the caller may read but not change this, or the token is read-only"),
}

# v0 lists are bare JSON arrays; the paging facts travel in these response headers.
LIST_HEADERS = [
    OpenApiParameter(
        "X-Total-Count",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=[200],
        description="How many items there are in all pages",
    ),
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200],
        description='RFC 8288 links to the rel="next" and rel="prev" pages, when there are any',
    ),
]

CHECK_ADMIN = OpenApiParameter(
    "checkAdmin",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="When true, answer 403 unless the caller is an admin here",
)


def bool_param(request, name: str, *, body_fallback: bool = False) -> bool:
    """A boolean query parameter (``true``/``false``/``1``/``0``, default false); a malformed one is a 400
    naming it. With ``body_fallback``, a client that still sends it in a JSON body is heard too."""
    raw = request.query_params.get(name)
    if raw is None and body_fallback and isinstance(request.data, dict):
        raw = request.data.get(name)
    if isinstance(raw, bool):
        return raw
    raw = str(raw if raw is not None else "false").strip().lower()
    if raw not in {"true", "false", "1", "0"}:
        raise validation_failed(name, "must be true or false")
    return raw in {"true", "1"}


_PATH_PARAMETERS = {
    "org": ("organizationName", NAME_PATTERN, "The organization's name (case-insensitive)"),
    "project": ("projectName", NAME_PATTERN, "The project's (environment's) name (case-insensitive)"),
    "package": ("packageName", NAME_PATTERN, "The package's name (case-insensitive)"),
    "version_id": ("versionId", f"^{VERSION_ID_PATH_PATTERN}$", "The version, X.Y.Z"),
    "group": ("groupName", NAME_PATTERN, "The group's name"),
    "user_group_id": ("userGroupId", r"^(user|group):.+$", "user:{email} or group:{name}"),
    "member": ("member", r"^((user|group):)?.+$", "The member: its email (or user:{email}), or group:{name}"),
}


def path_parameters(*names: str) -> list[OpenApiParameter]:
    """OpenAPI path parameters for URL kwargs ``names``, with their patterns."""
    return [
        OpenApiParameter(
            name,
            OpenApiTypes.STR,
            OpenApiParameter.PATH,
            description=f"{_PATH_PARAMETERS[name][2]}; pattern {_PATH_PARAMETERS[name][1]}",
        )
        for name in names
    ]


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Bearer <token>`` for every endpoint, and the same token as ``x-api-key``."""

    target_class = "registry.authentication.BearerTokenAuthentication"
    name = ["BearerAuth", "ApiKeyAuth"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "description": "An API token: Authorization: Bearer <token>"},
            {
                "type": "apiKey",
                "in": "header",
                "name": "x-api-key",
                "description": "The same token: x-api-key: <token>",
            },
        ]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]  # either header, not both


class V0AutoSchema(AutoSchema):
    """Every v0 route is also served under ``environments``; keep the two operations' ids distinct."""

    def get_operation_id(self):
        operation_id = super().get_operation_id()
        return f"{operation_id}_via_environments" if "/environments/" in self.path else operation_id


class V0View(GenericAPIView):
    # Base for v0 views: v0 pagination and the lookups every nested route needs. A comment, not a
    # docstring: drf-spectacular describes each operation of a subclass without a docstring of its own
    # by the nearest one up the class tree, and this one had become the description of 28 operations.

    pagination_class = V0Pagination
    schema = V0AutoSchema()
    # What each method reads from the body, by method; other methods (and the responses) use
    # ``serializer_class``. The browsable API's forms and OPTIONS describe a method by this.
    input_serializers: dict = {}

    def get_serializer_class(self):
        method = getattr(getattr(self, "request", None), "method", None)
        return self.input_serializers.get(method, self.serializer_class)

    @cached_property
    def grants(self) -> GrantSnapshot:
        """The caller's grants, loaded once per request: lookups by name and role checks judge from it."""
        return GrantSnapshot(self.request.user)

    def require(self, obj, needed: int) -> None:
        # A read-only token reads whatever its user may read, admin-only listings included; it only never writes.
        writing = self.request.method not in SAFE_METHODS
        require(
            self.request.user,
            obj,
            needed,
            read_only_token=writing and is_read_only(self.request),
            grants=self.grants,
        )

    def refuse_read_only(self) -> None:
        """For writes that need no role here (asking for one): a read-only token still never writes."""
        if self.request.method not in SAFE_METHODS and is_read_only(self.request):
            raise RegistryError("FORBIDDEN", "This token is read-only.", status=403)

    def get_organization(self) -> Organization:
        name = self.kwargs["org"]
        organization = Organization.objects.by_name(name).first()
        if organization is None or not self.grants.can_read(organization):
            raise not_found("organization", name)
        return organization

    def get_project(self) -> Project:
        org, name = self.kwargs["org"], self.kwargs["project"]
        project = project_named(org, name)
        if project is None or not self.grants.can_read(project):
            self.get_organization()  # 404 for the organization when the caller cannot see it either
            raise not_found("project", name)
        return project

    def wants_pages(self) -> bool:
        params = self.request.query_params
        return "page" in params or "limit" in params

    def paginated(self, items, serializer_class, *, context: dict | None = None):
        """A v0 list: with ``?page`` or ``?limit``, that page (``X-Total-Count``, ``Link``); without them,
        every item, as one JSON array written in chunks (see ``streaming``). The browsable API renders the whole
        list as a page of HTML instead."""
        context = {"request": self.request, **(context or {})}
        if self.wants_pages():
            page = self.paginate_queryset(items)
            return self.get_paginated_response(serializer_class(page, many=True, context=context).data)
        if getattr(self.request.accepted_renderer, "format", "json") == "json":
            return whole_list(self.request, items, serializer_class, context=context)
        return Response(serializer_class(items, many=True, context=context).data)
