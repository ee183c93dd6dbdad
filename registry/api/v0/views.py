"""v0 views for organizations, projects (alias: environments), permissions and group service tokens.

Views are thin: look the resource up through ``visible_to`` (404 when the caller cannot read it), check
the role with ``registry.access.require`` (403), call a service, serialize.
"""

from datetime import UTC

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import status
from rest_framework.response import Response

from registry import services
from registry.access import ADMIN, WRITE, GrantSnapshot, may_manage_group, rank_to_list_permissions
from registry.api.v0.common import (
    CHECK_ADMIN,
    COMMON_ERRORS,
    LIST_HEADERS,
    WRITE_ERRORS,
    V0View,
    bool_param,
    error,
    path_parameters,
)
from registry.api.v0.serializers import (
    GroupCreateSerializer,
    GroupMemberSerializer,
    GroupMembersRequestSerializer,
    GroupMembersSerializer,
    GroupMemberUpdateSerializer,
    GroupSerializer,
    GroupTokenRequestSerializer,
    GroupTokenSerializer,
    GroupUpdateSerializer,
    ListedGroupTokenSerializer,
    OrganizationCreateSerializer,
    OrganizationPermissionRequestSerializer,
    OrganizationPermissionUpdateSerializer,
    OrganizationSerializer,
    OrganizationUpdateSerializer,
    PackagePermissionSerializer,
    PermissionRefusedSerializer,
    PermissionRequestSerializer,
    PermissionSerializer,
    PermissionUpdateSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
)
from registry.errors import RegistryError, not_found, validation_failed
from registry.models import NAME_MAX_LENGTH, ApiToken, Grant, GroupMembership, Organization, OrganizationGroup, Project
from registry.naming import NAME_PATTERN
from registry.selectors import permission_of, permissions_on

ORGANIZATIONS = ["v0 organizations"]
PROJECTS = ["v0 projects"]
PERMISSIONS = ["v0 permissions"]
TOKENS = ["v0 group tokens"]
GROUPS = ["v0 groups"]
MEMBERS = ["v0 group members"]


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
        organizations = Organization.objects.visible_to(request.user).order_by("name")
        return self.paginated(organizations, OrganizationSerializer, context={"grants": self.grants})

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
        return Response(
            OrganizationSerializer(organization, context={"grants": GrantSnapshot(request.user)}).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema(parameters=path_parameters("org"))
class OrganizationDetailView(V0View):
    serializer_class = OrganizationSerializer
    input_serializers = {"PATCH": OrganizationUpdateSerializer}

    @extend_schema(
        tags=ORGANIZATIONS,
        summary="Get an organization, with the caller's permission level on it",
        parameters=[CHECK_ADMIN],
        responses={
            200: OrganizationSerializer,
            400: error("VALIDATION_FAILED"),
            403: error("FORBIDDEN"),
            **COMMON_ERRORS,
        },
    )
    def get(self, request, org):
        organization = self.get_organization()
        if bool_param(request, "checkAdmin"):
            self.require(organization, ADMIN)
        return Response(OrganizationSerializer(organization, context={"grants": self.grants}).data)

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
        updated = services.update_organization(organization=organization, changes=changes)
        return Response(OrganizationSerializer(updated, context={"grants": self.grants}).data)

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


REQUEST_PERMISSION = OpenApiParameter(
    "requestPermission",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description=(
        "When true and the caller may not grant roles here, ask for `permission` for oneself instead "
        "(`userGroupId` must be `user:{your email}`): a pending request an admin grants or refuses. "
        "Answers 202 with the pending row."
    ),
)
NOTIFY_PEOPLE = OpenApiParameter(
    "notifyPeople",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description=(
        "When true, tell the people concerned. No mail is configured: the notice is a log record "
        "(logger registry.notifications) written after commit."
    ),
)


class PermissionsMixin:
    """Permission endpoints for one kind of resource; subclasses say how to find it and how rows look."""

    serializer_class = PermissionSerializer
    queryset = Grant.objects.none()  # for the schema generator only

    def get_scope(self):
        raise NotImplementedError

    def is_admin_of(self, scope) -> bool:
        return self.grants.rank(scope) >= ADMIN

    def respond(self, row: dict, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(self.serializer_class(row).data, status=status_code)

    def list_permissions(self, request):
        scope = self.get_scope()
        self.require(scope, rank_to_list_permissions(scope))
        rows = permissions_on(scope, with_requests=self.is_admin_of(scope))
        return self.paginated(rows, self.serializer_class)

    def grant(self, request):
        scope = self.get_scope()
        data = validated(self.get_serializer_class(), request.data)
        notify = bool_param(request, "notifyPeople", body_fallback=True)
        asking = bool_param(request, "requestPermission", body_fallback=True)
        if asking and not self.is_admin_of(scope):
            self.refuse_read_only()
            services.request_permission(
                scope=scope,
                requester=request.user,
                user_group_id=data["userGroupId"],
                role=data["permission"],
                message=data["message"],
                notify=notify,
            )
            row = permission_of(scope, data["userGroupId"], with_requests=True)
            return self.respond(row, status.HTTP_202_ACCEPTED)
        self.require(scope, ADMIN)
        _, created = services.set_grant(
            scope=scope,
            user_group_id=data["userGroupId"],
            role=data["permission"],
            message=data["message"],
            notify=notify,
            actor=request.user,
        )
        row = permission_of(scope, data["userGroupId"], with_requests=True)
        return self.respond(row, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def read_one(self, request, user_group_id: str):
        """Who may list may read one row; anyone may read their own (their pending request, say)."""
        scope = self.get_scope()
        own = user_group_id.lower() in _own_ids(request.user)
        if not own:
            self.require(scope, rank_to_list_permissions(scope))
        row = permission_of(scope, user_group_id, with_requests=own or self.is_admin_of(scope))
        if row is None:
            raise services.permission_not_found(user_group_id)
        return self.respond(row)

    def update_one(self, request, user_group_id: str):
        scope = self.get_scope()
        self.require(scope, ADMIN)
        data = validated(self.get_serializer_class(), request.data, partial=True)
        services.update_permission(
            scope=scope,
            user_group_id=user_group_id,
            actor=request.user,
            role=data.get("permission"),
            message=data.get("message"),
            refuse=data.get("status") == "refused",
            notify=bool_param(request, "notifyPeople"),
        )
        row = permission_of(scope, user_group_id, with_requests=True)
        if row is None:  # a refused request, and nothing else: say so
            return Response(PermissionRefusedSerializer({"userGroupId": user_group_id, "status": "refused"}).data)
        return self.respond(row)

    def revoke(self, request, user_group_id: str):
        scope = self.get_scope()
        self.require(scope, ADMIN)
        services.remove_grant(scope=scope, user_group_id=user_group_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _own_ids(user) -> set[str]:
    """The ``user:`` ids a caller answers to (by email and by username), lower-cased."""
    if not user.is_authenticated:
        return set()
    return {f"user:{value}".lower() for value in (user.email, user.get_username()) if value}


def permission_views(scope_name: str, tag_suffix: str, kwargs: tuple[str, ...], get_scope):
    """The list/grant view and the one-permission view for one kind of resource, each documented."""
    row_serializer = PackagePermissionSerializer if scope_name == "package" else PermissionSerializer
    if scope_name == "organization":
        request_serializer, update_serializer = (
            OrganizationPermissionRequestSerializer,
            OrganizationPermissionUpdateSerializer,
        )
    else:
        request_serializer, update_serializer = PermissionRequestSerializer, PermissionUpdateSerializer
    who_lists = "viewer, modeler or admin" if scope_name == "project" else "admin"

    @extend_schema(parameters=path_parameters(*kwargs))
    class ListView(PermissionsMixin, V0View):
        serializer_class = row_serializer
        input_serializers = {"POST": request_serializer}

        @extend_schema(
            tags=PERMISSIONS,
            summary=f"List who may access the {tag_suffix} ({who_lists}); admins also see pending requests",
            parameters=LIST_HEADERS,
            responses={200: row_serializer(many=True), 403: error("FORBIDDEN"), **COMMON_ERRORS},
        )
        def get(self, request, **_):
            return self.list_permissions(request)

        @extend_schema(
            tags=PERMISSIONS,
            summary=f"Grant a user or group a role on the {tag_suffix} (admin), or ask for one (requestPermission)",
            request=request_serializer,
            parameters=[REQUEST_PERMISSION, NOTIFY_PEOPLE],
            responses={
                201: row_serializer,
                200: row_serializer,
                202: OpenApiResponse(row_serializer, description="A pending request (requestPermission=true)"),
                **WRITE_ERRORS,
            },
        )
        def post(self, request, **_):
            return self.grant(request)

    @extend_schema(parameters=path_parameters(*kwargs, "user_group_id"))
    class DetailView(PermissionsMixin, V0View):
        serializer_class = row_serializer
        input_serializers = {"PATCH": update_serializer}

        @extend_schema(
            tags=PERMISSIONS,
            summary=f"Get one user's or group's access to the {tag_suffix} ({who_lists}; anyone: their own)",
            responses={200: row_serializer, 403: error("FORBIDDEN"), **COMMON_ERRORS},
        )
        def get(self, request, user_group_id, **_):
            return self.read_one(request, user_group_id)

        @extend_schema(
            tags=PERMISSIONS,
            summary=f"Change a role on the {tag_suffix}, or grant or refuse a pending request (admin)",
            request=update_serializer,
            parameters=[NOTIFY_PEOPLE],
            responses={
                200: PolymorphicProxySerializer(
                    component_name=f"V0{row_serializer.__name__.removesuffix('Serializer')}Change",
                    serializers=[row_serializer, PermissionRefusedSerializer],
                    resource_type_field_name=None,
                ),
                **WRITE_ERRORS,
            },
        )
        def patch(self, request, user_group_id, **_):
            return self.update_one(request, user_group_id)

        @extend_schema(
            tags=PERMISSIONS,
            summary=f"Remove a user's or group's role on the {tag_suffix}, refusing any pending request (admin)",
            request=None,
            responses={204: None, **WRITE_ERRORS},
        )
        def delete(self, request, user_group_id, **_):
            return self.revoke(request, user_group_id)

    inherited = "" if scope_name == "organization" else " and inherited from above"
    ListView.__doc__ = (
        f"The roles users and groups hold on the {tag_suffix}: granted here{inherited}, with pending "
        "requests for admins."
    )
    DetailView.__doc__ = f"One user's or group's role on the {tag_suffix}."
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


# --- Groups ---------------------------------------------------------------------------------------


class GroupLookupMixin:
    def get_group_organization(self) -> Organization:
        """The organization in the path. A caller who cannot read it still reaches it when they are an
        ``admin`` member of the group the path names (they manage that group)."""
        name = self.kwargs["org"]
        organization = Organization.objects.by_name(name).first()
        if organization is not None and not self.grants.can_read(organization):
            link = OrganizationGroup.objects.filter(organization=organization, group__name=self.kwargs.get("group"))
            link = link.select_related("group").first()
            if link is None or not may_manage_group(
                self.request.user, organization=organization, group=link.group, grants=self.grants
            ):
                organization = None
        if organization is None:
            raise not_found("organization", name)
        return organization

    def get_group(self, organization: Organization) -> OrganizationGroup:
        return services.organization_group(organization=organization, group_name=self.kwargs["group"])

    def require_manager(self, organization: Organization, link: OrganizationGroup) -> None:
        self.refuse_read_only()
        if not may_manage_group(self.request.user, organization=organization, group=link.group, grants=self.grants):
            raise RegistryError(
                "FORBIDDEN",
                f"You need the admin role on {organization} or in group {link.group.name} to do this.",
                status=403,
                details={"requiredRole": "admin"},
            )


@extend_schema(parameters=path_parameters("org"))
class GroupListView(GroupLookupMixin, V0View):
    serializer_class = GroupSerializer
    input_serializers = {"POST": GroupCreateSerializer}
    queryset = OrganizationGroup.objects.none()  # for the schema generator only

    @extend_schema(
        tags=GROUPS,
        summary="List the organization's groups (whoever may read the organization)",
        parameters=LIST_HEADERS,
        responses={200: GroupSerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request, org):
        return self.paginated(services.organization_groups(self.get_organization()), GroupSerializer)

    @extend_schema(
        tags=GROUPS,
        summary="Create a group the organization owns (organization admin)",
        request=GroupCreateSerializer,
        responses={201: GroupSerializer, 409: error("GROUP_EXISTS: a group has this name"), **WRITE_ERRORS},
    )
    def post(self, request, org):
        organization = self.get_organization()
        self.require(organization, ADMIN)
        data = validated(GroupCreateSerializer, request.data)
        link = services.create_group(
            organization=organization, group_name=data["groupName"], description=data["description"]
        )
        return Response(GroupSerializer(link).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=path_parameters("org", "group"))
class GroupDetailView(GroupLookupMixin, V0View):
    serializer_class = GroupSerializer
    input_serializers = {"PATCH": GroupUpdateSerializer}

    @extend_schema(tags=GROUPS, summary="Get a group", responses={200: GroupSerializer, **COMMON_ERRORS})
    def get(self, request, org, group):
        return Response(GroupSerializer(self.get_group(self.get_group_organization())).data)

    @extend_schema(
        tags=GROUPS,
        summary="Update a group's description (organization admin or group admin)",
        request=GroupUpdateSerializer,
        responses={200: GroupSerializer, **WRITE_ERRORS},
    )
    def patch(self, request, org, group):
        organization = self.get_group_organization()
        link = self.get_group(organization)
        self.require_manager(organization, link)
        data = validated(GroupUpdateSerializer, request.data, partial=True)
        link = services.update_group(link=link, description=data.get("description"), group_name=data.get("groupName"))
        return Response(GroupSerializer(link).data)

    @extend_schema(
        tags=GROUPS,
        summary="Delete a group with its grants, memberships and service tokens (organization admin)",
        request=None,
        responses={204: None, **WRITE_ERRORS},
    )
    def delete(self, request, org, group):
        organization = self.get_organization()
        link = self.get_group(organization)
        self.require(organization, ADMIN)
        services.delete_group(link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
            OpenApiParameter(
                "name",
                {"type": "string", "pattern": NAME_PATTERN, "minLength": 1, "maxLength": NAME_MAX_LENGTH},
                OpenApiParameter.QUERY,
                required=True,
                description="Token name",
            ),
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
class GroupMembersView(GroupLookupMixin, V0View):
    serializer_class = GroupMembersSerializer
    queryset = GroupMembership.objects.none()  # for the schema generator only
    input_serializers = {"POST": GroupMembersRequestSerializer}

    @extend_schema(
        tags=MEMBERS,
        summary="List a group's members with their status (whoever may read the organization)",
        parameters=LIST_HEADERS,
        responses={200: GroupMemberSerializer(many=True), **COMMON_ERRORS},
    )
    def get(self, request, org, group):
        link = self.get_group(self.get_group_organization())
        return self.paginated(services.group_members(link.group), GroupMemberSerializer)

    @extend_schema(
        tags=MEMBERS,
        summary="Add members to a group, change their status or take them out (organization or group admin)",
        description=(
            "Each entry names a member, `user:{email}` or `group:{name}` (a group this organization owns: "
            "its users read what this group is granted; groups nest one level), and a `status`: `admin` "
            "(the member also manages this group: its description and members) or `member` adds the "
            "member or changes its status; `inactive` or `removed` takes it out (`active`, the older "
            "word, means `member`). Members not named keep their place; when one is named twice the "
            "last entry wins. The request is one transaction: one bad entry (an unknown email or group, "
            "another status) is a 400 `VALIDATION_FAILED` naming `members[i].userGroupId` or "
            "`members[i].status`, and nothing changes.\n\n"
            "The organization must own the group: a name no group has yet creates one it owns "
            "(organization admins only); a group owned by another organization, or by none (created by "
            "staff), is managed by staff only (403). Members gain and lose the group's access at once. "
            "The response lists the group's members afterwards; its service account (behind the group's "
            "tokens) is neither listed nor changeable here."
        ),
        request=GroupMembersRequestSerializer,
        responses={
            200: GroupMembersSerializer,
            **WRITE_ERRORS,
            403: error(
                "FORBIDDEN: not an organization or group admin, a read-only token, or a group this org does not own"
            ),
            404: error("NOT_FOUND: the organization"),
        },
    )
    def post(self, request, org, group):
        organization = self.get_group_organization()
        link = OrganizationGroup.objects.filter(organization=organization, group__name=group).select_related("group")
        link = link.first()
        if link is None:  # a new group, or one this organization does not own: its admins' business
            self.require(organization, ADMIN)
        else:
            self.require_manager(organization, link)
        data = validated(GroupMembersRequestSerializer, request.data)
        changes = [services.MemberChange(user_group_id=m["userGroupId"], status=m["status"]) for m in data["members"]]
        found, members = services.set_group_members(
            organization=organization, group_name=group, changes=changes, actor=request.user
        )
        return Response(GroupMembersSerializer({"group": found, "members": members}).data)


@extend_schema(parameters=path_parameters("org", "group", "member"))
class GroupMemberDetailView(GroupLookupMixin, V0View):
    serializer_class = GroupMemberSerializer
    queryset = GroupMembership.objects.none()  # for the schema generator only
    input_serializers = {"PATCH": GroupMemberUpdateSerializer}

    @extend_schema(
        tags=MEMBERS,
        summary="Change a member's status, admin or member (organization or group admin)",
        request=GroupMemberUpdateSerializer,
        responses={200: GroupMemberSerializer, 404: error("NOT_FOUND: not a member"), **WRITE_ERRORS},
    )
    def patch(self, request, org, group, member):
        organization = self.get_group_organization()
        link = self.get_group(organization)
        self.require_manager(organization, link)
        data = validated(GroupMemberUpdateSerializer, request.data, partial=True)
        if "status" not in data:  # a PATCH that changes nothing: the member as it is
            changed = services.group_member(link=link, member_id=member)
        else:
            changed = services.set_member_status(link=link, member_id=member, status=data["status"])
        return Response(GroupMemberSerializer(changed).data)

    @extend_schema(
        tags=MEMBERS,
        summary="Take a member out of the group (organization or group admin)",
        request=None,
        responses={204: None, 404: error("NOT_FOUND: not a member"), **WRITE_ERRORS},
    )
    def delete(self, request, org, group, member):
        organization = self.get_group_organization()
        link = self.get_group(organization)
        self.require_manager(organization, link)
        services.remove_group_member(link=link, member_id=member)
        return Response(status=status.HTTP_204_NO_CONTENT)
