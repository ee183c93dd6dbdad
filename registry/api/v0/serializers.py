"""v0 serializers for organizations, projects, permissions and service tokens (camelCase, Credible shapes)."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from registry.models import NAME_MAX_LENGTH, Role
from registry.naming import NAME_PATTERN


@extend_schema_serializer(component_name="V0Organization")
class OrganizationSerializer(serializers.Serializer):
    name = serializers.CharField()
    displayName = serializers.CharField(source="display_name")
    description = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


@extend_schema_serializer(component_name="V0OrganizationCreate")
class OrganizationCreateSerializer(serializers.Serializer):
    name = serializers.RegexField(NAME_PATTERN, max_length=NAME_MAX_LENGTH)
    displayName = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="V0OrganizationUpdate")
class OrganizationUpdateSerializer(serializers.Serializer):
    displayName = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="V0Project")
class ProjectSerializer(serializers.Serializer):
    name = serializers.CharField()
    organizationName = serializers.CharField(source="organization.name")
    description = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


@extend_schema_serializer(component_name="V0ProjectCreate")
class ProjectCreateSerializer(serializers.Serializer):
    name = serializers.RegexField(NAME_PATTERN, max_length=NAME_MAX_LENGTH)
    description = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="V0ProjectUpdate")
class ProjectUpdateSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="V0Permission")
class PermissionSerializer(serializers.Serializer):
    """One principal's access to a resource: granted here (``permission``) and from above (``inheritedPermission``)."""

    userGroupId = serializers.CharField(help_text="user:{email} or group:{name}")
    permission = serializers.ChoiceField(choices=Role.choices, allow_null=True, help_text="Granted on this resource")
    inheritedPermission = serializers.ChoiceField(
        choices=Role.choices, allow_null=True, help_text="The highest role granted on an enclosing resource"
    )
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()


@extend_schema_serializer(component_name="V0PermissionRequest")
class PermissionRequestSerializer(serializers.Serializer):
    userGroupId = serializers.CharField(help_text="user:{email} or group:{name}")
    permission = serializers.ChoiceField(
        choices=Role.choices, help_text="admin | modeler | viewer (organizations: admin | modeler | member)"
    )
    requestPermission = serializers.BooleanField(required=False, default=False, help_text="Accepted and ignored")
    notifyPeople = serializers.BooleanField(required=False, default=False, help_text="Accepted and ignored")


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


@extend_schema_serializer(component_name="V0GroupMember")
class GroupMemberSerializer(serializers.Serializer):
    """A user in a group. Every listed member is ``active``: removed users are no longer members."""

    userGroupId = serializers.SerializerMethodField(help_text="user:{email}")
    status = serializers.SerializerMethodField(help_text="Always active for a current member")

    def get_userGroupId(self, user) -> str:
        return f"user:{user.email or user.username}"

    def get_status(self, user) -> str:
        return "active"


@extend_schema_serializer(component_name="V0GroupMembers")
class GroupMembersSerializer(serializers.Serializer):
    groupName = serializers.CharField(source="group.name")
    members = GroupMemberSerializer(many=True)


@extend_schema_field({"type": "string", "enum": ["active", "inactive", "removed"]})
class MemberStatusField(serializers.CharField):
    """A string here; the service checks the value, so that an error names ``members[i].status``."""


@extend_schema_serializer(component_name="V0GroupMemberChange")
class GroupMemberChangeSerializer(serializers.Serializer):
    userGroupId = serializers.CharField(max_length=320, help_text="user:{email}; a group cannot be a member")
    status = MemberStatusField(help_text="active adds the user; inactive or removed takes them out")


@extend_schema_serializer(component_name="V0GroupMembersUpdate")
class GroupMembersRequestSerializer(serializers.Serializer):
    members = GroupMemberChangeSerializer(many=True, allow_empty=False, max_length=1000)
