"""v0 serializers for organizations, projects, permissions and service tokens (camelCase, Credible shapes)."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from registry.access import permission_level
from registry.api.fields import NameField, OneOfField, TextField
from registry.models import NAME_MAX_LENGTH, ORGANIZATION_ROLES, PROJECT_ROLES, Role

# The roles a grant may give: organizations have members where projects and packages have viewers.
ORGANIZATION_ROLE_CHOICES = [role.value for role in ORGANIZATION_ROLES]
PROJECT_ROLE_CHOICES = [role.value for role in PROJECT_ROLES]

# What the services accept as a principal (registry.services.principal_from_id): stated in the schema too.
USER_GROUP_ID_PATTERN = r"^(user|group):[^\u0000]+$"


@extend_schema_field({"type": "string", "pattern": USER_GROUP_ID_PATTERN, "maxLength": 320})
class PrincipalIdField(serializers.CharField):
    """``user:{email}`` or ``group:{name}``: the schema states the shape, the services check it (and name
    the failing field, ``members[0].userGroupId``)."""


@extend_schema_serializer(component_name="V0Organization")
class OrganizationSerializer(serializers.Serializer):
    """An organization, with the caller's own permission level on it (context ``grants``: their snapshot)."""

    name = serializers.CharField()
    displayName = serializers.CharField(source="display_name")
    description = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    permission = serializers.SerializerMethodField(
        help_text=(
            "The caller's role on the organization: admin | modeler | member, or null when they read it "
            "only through a project or package inside it"
        )
    )

    @extend_schema_field({"type": "string", "enum": ["admin", "modeler", "member"], "nullable": True})
    def get_permission(self, organization) -> str | None:
        grants = self.context.get("grants")
        return permission_level(organization, grants) if grants is not None else None


@extend_schema_serializer(component_name="V0OrganizationCreate")
class OrganizationCreateSerializer(serializers.Serializer):
    name = NameField()
    displayName = TextField(max_length=200, required=False, allow_blank=True, default="")
    description = TextField(required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="V0OrganizationUpdate")
class OrganizationUpdateSerializer(serializers.Serializer):
    displayName = TextField(max_length=200, required=False, allow_blank=True)
    description = TextField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="V0Project")
class ProjectSerializer(serializers.Serializer):
    name = serializers.CharField()
    organizationName = serializers.CharField(source="organization.name")
    description = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


@extend_schema_serializer(component_name="V0ProjectCreate")
class ProjectCreateSerializer(serializers.Serializer):
    name = NameField()
    description = TextField(required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="V0ProjectUpdate")
class ProjectUpdateSerializer(serializers.Serializer):
    description = TextField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="V0Permission")
class PermissionSerializer(serializers.Serializer):
    """One principal's access to a resource: granted here (``permission``) and from above (``inheritedPermission``)."""

    userGroupId = serializers.CharField(help_text="user:{email} or group:{name}")
    permission = serializers.ChoiceField(choices=Role.choices, allow_null=True, help_text="Granted on this resource")
    inheritedPermission = serializers.ChoiceField(
        choices=Role.choices, allow_null=True, help_text="The highest role granted on an enclosing resource"
    )
    message = serializers.CharField(
        allow_blank=True, help_text="The note kept with the grant (or, while pending, with the request)"
    )
    status = serializers.ChoiceField(
        choices=["granted", "pending"],
        help_text="pending: the principal asked for a role here (requestPermission=true) and waits for an admin",
    )
    requestedPermission = serializers.ChoiceField(
        choices=Role.choices, allow_null=True, help_text="The role a pending request asks for"
    )
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


@extend_schema_serializer(component_name="V0PermissionRefused")
class PermissionRefusedSerializer(serializers.Serializer):
    """The answer to refusing a pending request when the principal is left with no role here."""

    userGroupId = serializers.CharField(help_text="user:{email} or group:{name}")
    status = serializers.ChoiceField(choices=["refused"])


@extend_schema_serializer(component_name="V0PackagePermission")
class PackagePermissionSerializer(PermissionSerializer):
    workspace = serializers.SerializerMethodField(
        help_text="The Credible workspace the grant came through; always null here (no workspaces are served)"
    )

    @extend_schema_field({"type": "string", "nullable": True})
    def get_workspace(self, row) -> str | None:
        return None


@extend_schema_serializer(component_name="V0PermissionRequest")
class PermissionRequestSerializer(serializers.Serializer):
    """The body of a grant, or of a request for one (``?requestPermission=true``), on a project or package."""

    userGroupId = PrincipalIdField(max_length=320, help_text="user:{email} or group:{name}")
    permission = OneOfField(choices=PROJECT_ROLE_CHOICES, help_text="admin | modeler | viewer")
    message = TextField(required=False, allow_blank=True, max_length=2000, default="")


@extend_schema_serializer(component_name="V0OrganizationPermissionRequest")
class OrganizationPermissionRequestSerializer(PermissionRequestSerializer):
    """The body of a grant, or of a request for one (``?requestPermission=true``), on an organization."""

    permission = OneOfField(choices=ORGANIZATION_ROLE_CHOICES, help_text="admin | modeler | member")


@extend_schema_serializer(component_name="V0PermissionUpdate")
class PermissionUpdateSerializer(serializers.Serializer):
    """A change to one grant on a project or package, or an admin's decision on a pending request."""

    permission = OneOfField(
        choices=PROJECT_ROLE_CHOICES,
        required=False,
        help_text="The new role, admin | modeler | viewer (granting a pending request: defaults to the role asked for)",
    )
    message = TextField(required=False, allow_blank=True, max_length=2000)
    status = serializers.ChoiceField(
        choices=["granted", "refused"],
        required=False,
        help_text="refused refuses a pending request (400 when there is none); granted (or no status) grants it",
    )


@extend_schema_serializer(component_name="V0OrganizationPermissionUpdate")
class OrganizationPermissionUpdateSerializer(PermissionUpdateSerializer):
    """A change to one grant on an organization, or an admin's decision on a pending request."""

    permission = OneOfField(
        choices=ORGANIZATION_ROLE_CHOICES,
        required=False,
        help_text="The new role, admin | modeler | member (granting a pending request: defaults to the role asked for)",
    )


class GroupTokenRequestSerializer(serializers.Serializer):
    """The browsable API's form for a new group token. Clients send the same as query parameters."""

    name = serializers.CharField(max_length=100, help_text="The token's name, unique in the group")
    expiresAt = serializers.DateTimeField(required=False, help_text="ISO 8601 expiry (default: 99 years from now)")


class GroupTokenFields(serializers.Serializer):
    """What Credible answers about a group token."""

    name = serializers.CharField()
    groupName = serializers.CharField(source="group.name")
    createdAt = serializers.DateTimeField(source="created_at")
    expiresAt = serializers.DateTimeField(source="expires_at", allow_null=True)
    expired = serializers.BooleanField(source="is_expired")


@extend_schema_serializer(component_name="V0GroupToken")
class GroupTokenSerializer(GroupTokenFields):
    """A token just created, with its secret."""

    token = serializers.SerializerMethodField(help_text="The secret. Shown only in this response.")

    def get_token(self, obj) -> str:
        return self.context["secret"]


@extend_schema_serializer(component_name="V0GroupTokenListed")
class ListedGroupTokenSerializer(GroupTokenFields):
    """A token in the group's listing: never its secret, which is not stored."""

    revokedAt = serializers.DateTimeField(source="revoked_at", allow_null=True)
    lastUsedAt = serializers.DateTimeField(
        source="last_used_at",
        allow_null=True,
        help_text="Written at most once per REGISTRY_TOKEN_LAST_USED_RESOLUTION (60 s)",
    )
    active = serializers.BooleanField(source="is_active", help_text="Neither revoked nor expired")


@extend_schema_serializer(component_name="V0Group")
class GroupSerializer(serializers.Serializer):
    """A group an organization owns (the model is ``OrganizationGroup``)."""

    organizationName = serializers.CharField(source="organization.name")
    groupName = serializers.CharField(source="group.name")
    description = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


@extend_schema_serializer(component_name="V0GroupCreate")
class GroupCreateSerializer(serializers.Serializer):
    groupName = NameField()
    description = TextField(required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="V0GroupUpdate")
class GroupUpdateSerializer(serializers.Serializer):
    groupName = serializers.CharField(
        required=False, max_length=NAME_MAX_LENGTH, help_text="Accepted when it is the group's own name"
    )
    description = serializers.CharField(required=False, allow_blank=True)


MEMBER_STATUS_CHOICES = ["admin", "member"]


@extend_schema_serializer(component_name="V0GroupMember")
class GroupMemberSerializer(serializers.Serializer):
    """A member of a group: a user or a group, ``admin`` (also manages the group) or ``member``."""

    userGroupId = serializers.CharField(source="user_group_id", help_text="user:{email} or group:{name}")
    status = serializers.ChoiceField(choices=MEMBER_STATUS_CHOICES)


@extend_schema_serializer(component_name="V0GroupMembers")
class GroupMembersSerializer(serializers.Serializer):
    groupName = serializers.CharField(source="group.name")
    members = GroupMemberSerializer(many=True)


@extend_schema_field({"type": "string", "enum": [*MEMBER_STATUS_CHOICES, "active", "inactive", "removed"]})
class MemberStatusField(serializers.CharField):
    """A string here; the service checks the value, so that an error names ``members[i].status``."""


@extend_schema_serializer(component_name="V0GroupMemberChange")
class GroupMemberChangeSerializer(serializers.Serializer):
    userGroupId = PrincipalIdField(
        max_length=320,
        help_text="user:{email}, or group:{name} for a group this organization owns",
    )
    status = MemberStatusField(
        help_text="admin or member adds (or re-statuses) the member; the older active means member, "
        "inactive or removed take the member out"
    )


@extend_schema_serializer(component_name="V0GroupMembersUpdate")
class GroupMembersRequestSerializer(serializers.Serializer):
    members = GroupMemberChangeSerializer(many=True, allow_empty=False, max_length=1000)


@extend_schema_serializer(component_name="V0GroupMemberUpdate")
class GroupMemberUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MEMBER_STATUS_CHOICES)
