"""v0 serializers for organizations, projects, permissions and service tokens (camelCase, Credible shapes)."""

from drf_spectacular.utils import extend_schema_serializer
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


@extend_schema_serializer(component_name="V0GroupToken")
class GroupTokenSerializer(serializers.Serializer):
    name = serializers.CharField()
    groupName = serializers.CharField(source="group.name")
    createdAt = serializers.DateTimeField(source="created_at")
    expiresAt = serializers.DateTimeField(source="expires_at", allow_null=True)
    expired = serializers.BooleanField(source="is_expired")
    token = serializers.SerializerMethodField(help_text="The secret. Shown only in this response.")

    def get_token(self, obj) -> str:
        return self.context["secret"]
