"""v0 views for organizations, projects (alias: environments), permissions and group service tokens.

Views are thin: look the resource up through ``visible_to`` (404 when the caller cannot read it), check
the role with ``registry.access.require`` (403), call a service, serialize.
"""

from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from registry import services
from registry.access import ADMIN, WRITE
from registry.api.v0.common import COMMON_ERRORS, LIST_HEADERS, WRITE_ERRORS, V0View, error, path_parameters
from registry.api.v0.serializers import (
    GroupMembersRequestSerializer,
    GroupMembersSerializer,
    GroupTokenRequestSerializer,
    GroupTokenSerializer,
    ListedGroupTokenSerializer,
    OrganizationCreateSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    PermissionRequestSerializer,
    PermissionSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
)
from registry.errors import validation_failed
from registry.models import ApiToken, Grant, Organization, Project
from registry.selectors import permissions_on

ORGANIZATIONS = ["v0 organizations"]
PROJECTS = ["v0 projects"]
PERMISSIONS = ["v0 permissions"]
TOKENS = ["v0 group tokens"]
GROUPS = ["v0 group members"]


def validated(serializer_class, data, *, partial: bool = False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class OrganizationListView(V0View):
    serializer_class = OrganizationSerializer
    input_serializers = {"POST": OrganizationCreateSerializer}
    queryset = Organization.objects.none()  # for the schema generator only

    @extend_schema(
        tags=ORGANIZATIONS,
        summary="List organizations the caller may read",
        parameters=LIST_HEADERS,
        responses={200: OrganizationSerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request):
        return self.paginated(Organization.objects.visible_to(request.user).order_by("name"), OrganizationSerializer)

    @extend_schema(
        tags=ORGANIZATIONS,
        summary="Create an organization (the caller becomes its admin)",
        request=OrganizationCreateSerializer,
        responses={201: OrganizationSerializer, 409: error("ORGANIZATION_EXISTS"), **WRITE_ERRORS},
    )
    def post(self, request):
        data = validated(OrganizationCreateSerializer, request.data)
        organization = services.create_organization(
            name=data["name"], display_name=data["displayName"], description=data["description"], creator=request.user
        )
        return Response(OrganizationSerializer(organization).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=path_parameters("org"))
class OrganizationDetailView(V0View):
    serializer_class = OrganizationSerializer
    input_serializers = {"PATCH": OrganizationUpdateSerializer}

    @extend_schema(
        tags=ORGANIZATIONS, summary="Get an organization", responses={200: OrganizationSerializer, **COMMON_ERRORS}
    )
    def get(self, request, org):
        return Response(OrganizationSerializer(self.get_organization()).data)

    @extend_schema(
        tags=ORGANIZATIONS,
        summary="Update an organization (modeler or admin)",
        request=OrganizationUpdateSerializer,
        responses={200: OrganizationSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, org):
        organization = self.get_organization()
        self.require(organization, WRITE)
        data = validated(OrganizationUpdateSerializer, request.data, partial=True)
        changes = services.Changes(display_name=data.get("displayName"), description=data.get("description"))
        return Response(
            OrganizationSerializer(services.update_organization(organization=organization, changes=changes)).data
        )

    @extend_schema(
        tags=ORGANIZATIONS,
        summary="Delete an organization with its projects and packages (admin)",
        request=None,
        responses={204: None, 409: error("ORGANIZATION_IN_USE"), **WRITE_ERRORS},
    )
    def delete(self, request, org):
        organization = self.get_organization()
        self.require(organization, ADMIN)
        services.delete_organization(organization=organization)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=path_parameters("org"))
class ProjectListView(V0View):
    serializer_class = ProjectSerializer
    input_serializers = {"POST": ProjectCreateSerializer}
    queryset = Project.objects.none()  # for the schema generator only

    @extend_schema(
        tags=PROJECTS,
        summary="List the organization's projects the caller may read",
        parameters=LIST_HEADERS,
        responses={200: ProjectSerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request, org):
        organization = self.get_organization()
        projects = (
            Project.objects.visible_to(request.user)
            .filter(organization=organization)
            .select_related("organization")  # organizationName in every row
            .order_by("name")
        )
        return self.paginated(projects, ProjectSerializer)

    @extend_schema(
        tags=PROJECTS,
        summary="Create a project (organization modeler or admin)",
        request=ProjectCreateSerializer,
        responses={201: ProjectSerializer, 409: error("PROJECT_EXISTS"), **WRITE_ERRORS},
    )
    def post(self, request, org):
        organization = self.get_organization()
        self.require(organization, WRITE)
        data = validated(ProjectCreateSerializer, request.data)
        project = services.create_project(organization=organization, name=data["name"], description=data["description"])
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=path_parameters("org", "project"))
class ProjectDetailView(V0View):
    serializer_class = ProjectSerializer
    input_serializers = {"PATCH": ProjectUpdateSerializer}

    @extend_schema(tags=PROJECTS, summary="Get a project", responses={200: ProjectSerializer, **COMMON_ERRORS})
    def get(self, request, org, project):
        return Response(ProjectSerializer(self.get_project()).data)

    @extend_schema(
        tags=PROJECTS,
        summary="Update a project (modeler or admin)",
        request=ProjectUpdateSerializer,
        responses={200: ProjectSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, org, project):
        found = self.get_project()
        self.require(found, WRITE)
        data = validated(ProjectUpdateSerializer, request.data, partial=True)
        changes = services.Changes(description=data.get("description"))
        return Response(ProjectSerializer(services.update_project(project=found, changes=changes)).data)

    @extend_schema(
        tags=PROJECTS,
        summary="Delete a project with its packages (admin)",
        request=None,
        responses={204: None, 409: error("PROJECT_IN_USE"), **WRITE_ERRORS},
    )
    def delete(self, request, org, project):
        found = self.get_project()
        self.require(found, ADMIN)
        services.delete_project(project=found)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PermissionsMixin:
    """Permission endpoints for one kind of resource; subclasses say how to find it."""

    serializer_class = PermissionSerializer
    input_serializers = {"POST": PermissionRequestSerializer}
    queryset = Grant.objects.none()  # for the schema generator only

    def get_scope(self):
        raise NotImplementedError

    def list_permissions(self, request):
        scope = self.get_scope()
        self.require(scope, ADMIN)
        return self.paginated(permissions_on(scope), PermissionSerializer)

    def grant(self, request):
        scope = self.get_scope()
        self.require(scope, ADMIN)
        data = validated(PermissionRequestSerializer, request.data)
        _, created = services.set_grant(scope=scope, user_group_id=data["userGroupId"], role=data["permission"])
        row = next(r for r in permissions_on(scope) if r["userGroupId"].lower() == data["userGroupId"].lower())
        return Response(
            PermissionSerializer(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def revoke(self, request, user_group_id: str):
        scope = self.get_scope()
        self.require(scope, ADMIN)
        services.remove_grant(scope=scope, user_group_id=user_group_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def permission_views(scope_name: str, tag_suffix: str, kwargs: tuple[str, ...], get_scope):
    """The list/grant view and the revoke view for one kind of resource, each documented."""

    @extend_schema(parameters=path_parameters(*kwargs))
    class ListView(PermissionsMixin, V0View):
        @extend_schema(
            tags=PERMISSIONS,
            summary=f"List who may access the {tag_suffix} (admin)",
            parameters=LIST_HEADERS,
            responses={200: PermissionSerializer(many=True), 403: error("FORBIDDEN"), **COMMON_ERRORS},
        )
        def get(self, request, **_):
            return self.list_permissions(request)

        @extend_schema(
            tags=PERMISSIONS,
            summary=f"Grant a user or group a role on the {tag_suffix} (admin)",
            request=PermissionRequestSerializer,
            responses={201: PermissionSerializer, 200: PermissionSerializer, **WRITE_ERRORS},
        )
        def post(self, request, **_):
            return self.grant(request)

    @extend_schema(parameters=path_parameters(*kwargs, "user_group_id"))
    class DetailView(PermissionsMixin, V0View):
        @extend_schema(
            tags=PERMISSIONS,
            summary=f"Remove a user's or group's role on the {tag_suffix} (admin)",
            request=None,
            responses={204: None, **WRITE_ERRORS},
        )
        def delete(self, request, user_group_id, **_):
            return self.revoke(request, user_group_id)

    ListView.get_scope = DetailView.get_scope = get_scope
    ListView.__name__ = f"{scope_name.title()}PermissionListView"
    DetailView.__name__ = f"{scope_name.title()}PermissionDetailView"
    return ListView, DetailView


OrganizationPermissionListView, OrganizationPermissionDetailView = permission_views(
    "organization", "organization", ("org",), V0View.get_organization
)
ProjectPermissionListView, ProjectPermissionDetailView = permission_views(
    "project", "project", ("org", "project"), V0View.get_project
)


@extend_schema(parameters=path_parameters("org", "group"))
class GroupTokenView(V0View):
    serializer_class = GroupTokenSerializer
    input_serializers = {"POST": GroupTokenRequestSerializer}  # the browsable form; clients send query parameters
    queryset = ApiToken.objects.none()  # for the schema generator only

    @extend_schema(
        tags=TOKENS,
        summary="Create a service token for a group (organization admin); the secret is shown once",
        request=None,
        parameters=[
            OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description="Token name"),
            OpenApiParameter(
                "expiresAt",
                OpenApiTypes.DATETIME,
                OpenApiParameter.QUERY,
                description="ISO 8601 expiry (default: 99 years from now)",
            ),
        ],
        responses={
            201: GroupTokenSerializer,
            409: error("TOKEN_EXISTS: the group already has a token with this name"),
            **WRITE_ERRORS,
        },
    )
    def post(self, request, org, group):
        organization = self.get_organization()
        self.require(organization, ADMIN)
        name = request.query_params.get("name") or request.data.get("name") or ""
        raw_expiry = request.query_params.get("expiresAt") or request.data.get("expiresAt")
        expires_at = None
        if raw_expiry:
            try:
                expires_at = parse_datetime(str(raw_expiry))
            except ValueError:
                expires_at = None
            if expires_at is None:
                raise validation_failed("expiresAt", "expected an ISO 8601 date-time")
            if timezone.is_naive(expires_at):
                expires_at = timezone.make_aware(expires_at, UTC)
        token, secret = services.issue_group_token(
            organization=organization, group_name=group, name=name, issuer=request.user, expires_at=expires_at
        )
        return Response(GroupTokenSerializer(token, context={"secret": secret}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TOKENS,
        summary="List a group's service tokens (organization admin); secrets are never shown again",
        parameters=LIST_HEADERS,
        responses={200: ListedGroupTokenSerializer(many=True), 403: error("FORBIDDEN"), **COMMON_ERRORS},
    )
    def get(self, request, org, group):
        organization = self.get_organization()
        self.require(organization, ADMIN)
        tokens = services.group_tokens(organization=organization, group_name=group, actor=request.user)
        return self.paginated(tokens, ListedGroupTokenSerializer)


@extend_schema(parameters=[*path_parameters("org", "group"), OpenApiParameter("token", str, OpenApiParameter.PATH)])
class GroupTokenDetailView(V0View):
    serializer_class = ListedGroupTokenSerializer

    @extend_schema(
        tags=TOKENS,
        summary="Revoke a group's service token (organization admin); it stops working at once",
        request=None,
        responses={204: None, 404: error("NOT_FOUND: the group has no token with this name"), **WRITE_ERRORS},
    )
    def delete(self, request, org, group, token):
        organization = self.get_organization()
        self.require(organization, ADMIN)
        services.revoke_group_token(organization=organization, group_name=group, name=token, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(parameters=path_parameters("org", "group"))
class GroupMembersView(V0View):
    serializer_class = GroupMembersSerializer
    input_serializers = {"POST": GroupMembersRequestSerializer}

    @extend_schema(
        tags=GROUPS,
        summary="Add users to or remove them from a group (organization admin)",
        description=(
            "Each entry names a user as `user:{email}` and a `status`: `active` adds the user to the group, "
            "`inactive` or `removed` takes them out. Users not named keep their membership; when a user is "
            "named twice the last entry wins; adding a member or removing a non-member changes nothing. "
            "The request is one transaction: one bad entry (a `group:` id, an unknown email, another status) "
            "is a 400 `VALIDATION_FAILED` naming `members[i].userGroupId` or `members[i].status`, and nothing "
            "changes.\n\n"
            "The organization must own the group: a name no group has yet creates one it owns; a group "
            "owned by another organization, or by none (created by staff), is managed by staff only (403), "
            "since its members read whatever it is granted anywhere. Members gain and lose the group's "
            "access at once. The response lists the group's members afterwards; its "
            "service account (behind the group's tokens) is neither listed nor changeable here."
        ),
        request=GroupMembersRequestSerializer,
        responses={
            200: GroupMembersSerializer,
            **WRITE_ERRORS,
            403: error("FORBIDDEN: not an organization admin, a read-only token, or a group this org does not own"),
            404: error("NOT_FOUND: the organization"),
        },
    )
    def post(self, request, org, group):
        organization = self.get_organization()
        self.require(organization, ADMIN)
        data = validated(GroupMembersRequestSerializer, request.data)
        changes = [services.MemberChange(user_group_id=m["userGroupId"], status=m["status"]) for m in data["members"]]
        found, members = services.set_group_members(
            organization=organization, group_name=group, changes=changes, actor=request.user
        )
        return Response(GroupMembersSerializer({"group": found, "members": members}).data)
