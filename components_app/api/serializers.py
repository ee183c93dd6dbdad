"""v1 (Metabind) request and response shapes. Input serializers only check types; rules live in services."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from components_app.models import ComponentStatus, ComponentType
from registry.naming import NAME_MAX_LENGTH

# Component source, in characters. Far above any real component, and it bounds the work of compiling one.
CONTENT_MAX_LENGTH = 256_000


class TagsField(serializers.ListField):
    child = serializers.CharField(max_length=100)


class ComponentMetadataInputSerializer(serializers.Serializer):
    tags = TagsField(required=False)


class ComponentCreateSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=NAME_MAX_LENGTH, help_text="Unique in the project: letters, digits, _ and -."
    )
    type = serializers.ChoiceField(choices=ComponentType.choices)
    content = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=CONTENT_MAX_LENGTH,
        help_text=f"The component source, at most {CONTENT_MAX_LENGTH} characters.",
    )
    metadata = ComponentMetadataInputSerializer(required=False)


class ComponentUpdateSerializer(serializers.Serializer):
    """Every field optional. A published component becomes `modified`."""

    name = serializers.CharField(max_length=NAME_MAX_LENGTH, required=False)
    type = serializers.ChoiceField(choices=ComponentType.choices, required=False)
    content = serializers.CharField(
        allow_blank=True, trim_whitespace=False, required=False, max_length=CONTENT_MAX_LENGTH
    )
    metadata = ComponentMetadataInputSerializer(required=False)


class ComponentMetadataSerializer(serializers.Serializer):
    author = serializers.CharField(allow_null=True)
    tags = TagsField()
    rolledBackFrom = serializers.IntegerField(
        allow_null=True, help_text="Set while a rollback's working copy is unpublished."
    )


class ComponentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    title = serializers.CharField(help_text="From the compiler (default: the `@title` tag, else the name).")
    description = serializers.CharField(help_text="From the compiler (default: the `@description` tags).")
    type = serializers.ChoiceField(choices=ComponentType.choices)
    status = serializers.ChoiceField(choices=ComponentStatus.choices)
    content = serializers.CharField()
    compiled = serializers.CharField()
    schema = serializers.JSONField(help_text="JSON Schema of the component's properties (default: `@prop` tags).")
    version = serializers.IntegerField(allow_null=True, help_text="Null unless the status is published.")
    lastPublishedVersion = serializers.IntegerField(source="last_published_version", allow_null=True)
    metadata = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field(ComponentMetadataSerializer)
    def get_metadata(self, component) -> dict:
        return {
            "author": component.author.username if component.author_id else None,
            "tags": component.tags,
            "rolledBackFrom": component.rolled_back_from,
        }


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=ComponentStatus.choices,
        help_text="`deleted` from any live status; `draft` or `modified` (if published before) from `deleted`.",
    )


class RollbackSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="A version listed by GET .../versions.")


class ComponentVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    status = serializers.SerializerMethodField()
    name = serializers.CharField()
    type = serializers.CharField()
    content = serializers.CharField()
    compiled = serializers.CharField()
    schema = serializers.JSONField()
    createdAt = serializers.DateTimeField(source="created_at")
    createdBy = serializers.SerializerMethodField()
    packageVersion = serializers.CharField(source="package_version.version")

    def get_status(self, snapshot) -> str:
        return ComponentStatus.PUBLISHED  # versions exist only once published, and never change

    def get_createdBy(self, snapshot) -> str | None:
        return snapshot.created_by.username if snapshot.created_by_id else None


class DependencyCreateSerializer(serializers.Serializer):
    projectId = serializers.CharField(max_length=NAME_MAX_LENGTH, help_text="A project of the same organization.")
    version = serializers.CharField(max_length=64, help_text="An existing package version of that project (X.Y.Z).")


class DependencySerializer(serializers.Serializer):
    projectId = serializers.CharField(source="depends_on.name")
    name = serializers.CharField(source="depends_on.name")
    version = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")


class PackageMetadataInputSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True)
    tags = TagsField(required=False)

    def to_internal_value(self, data):
        # The seed's request template spells the keys "metadata.description" and "metadata.tags".
        if isinstance(data, dict):
            data = {key.removeprefix("metadata."): value for key, value in data.items()}
        return super().to_internal_value(data)


class PackageCreateSerializer(serializers.Serializer):
    version = serializers.CharField(
        trim_whitespace=False, help_text="Strict MAJOR.MINOR.PATCH, greater than the latest package version."
    )
    metadata = PackageMetadataInputSerializer(required=False)


class PackageComponentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    type = serializers.CharField()
    version = serializers.IntegerField()


class PackageDependencySerializer(serializers.Serializer):
    projectId = serializers.CharField()
    version = serializers.CharField()


class PackageCompiledSerializer(serializers.Serializer):
    components = serializers.DictField(child=serializers.CharField(), help_text="Compiled code by component name.")
    assets = serializers.DictField()


class PackageMetadataSerializer(serializers.Serializer):
    author = serializers.CharField(allow_null=True, help_text="The user who published the version.")
    description = serializers.CharField()
    tags = TagsField()


class PackageSerializer(serializers.Serializer):
    """A package version. Expects the prefetches of ``selectors.package_versions_of``."""

    id = serializers.CharField(source="pk")
    projectId = serializers.CharField(source="package.project.name")
    version = serializers.CharField()
    components = serializers.SerializerMethodField()
    assets = serializers.SerializerMethodField()
    compiled = serializers.SerializerMethodField()
    dependencies = serializers.SerializerMethodField()
    metadata = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field(PackageComponentSerializer(many=True))
    def get_components(self, version) -> list[dict]:
        return [
            {
                "id": str(entry.component_version.component_id),
                "name": entry.component_version.name,
                "type": entry.component_version.type,
                "version": entry.component_version.version,
            }
            for entry in version.component_entries.all()
        ]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_assets(self, version) -> list:
        return []  # assets are not supported yet

    @extend_schema_field(PackageCompiledSerializer)
    def get_compiled(self, version) -> dict:
        return {
            "components": {
                e.component_version.name: e.component_version.compiled for e in version.component_entries.all()
            },
            "assets": {},
        }

    @extend_schema_field(PackageDependencySerializer(many=True))
    def get_dependencies(self, version) -> list[dict]:
        return [{"projectId": d.package.project.name, "version": d.range} for d in version.dependencies.all()]

    @extend_schema_field(PackageMetadataSerializer)
    def get_metadata(self, version) -> dict:
        return {
            "author": version.author.username if version.author_id else None,
            "description": version.description,
            "tags": version.tags,
        }


class ComponentChangesSerializer(serializers.Serializer):
    added = serializers.ListField(
        child=serializers.CharField(), help_text="In this package, not in the previous package version."
    )
    updated = serializers.ListField(
        child=serializers.CharField(),
        help_text="In both, at a different component version (always also in versionIncrements).",
    )
    deleted = serializers.ListField(
        child=serializers.CharField(), help_text="In the previous package version, not in this one."
    )


class StatusChangesSerializer(serializers.Serializer):
    draft = serializers.ListField(child=serializers.CharField(), help_text="Were draft; now published.")
    modified = serializers.ListField(child=serializers.CharField(), help_text="Were modified; now published.")
    published = serializers.ListField(
        child=serializers.CharField(), help_text="Were already published; included at their version."
    )


class VersionIncrementSerializer(serializers.Serializer):
    to = serializers.IntegerField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.IntegerField(
            allow_null=True, help_text="lastPublishedVersion before; null if never."
        )
        return fields


class ValidationReportSerializer(serializers.Serializer):
    """All lists hold component ids. draft + modified + published = package.components;
    versionIncrements has exactly the draft and modified ones."""

    componentChanges = ComponentChangesSerializer()
    statusChanges = StatusChangesSerializer()
    versionIncrements = serializers.DictField(child=VersionIncrementSerializer())


class PublishResponseSerializer(serializers.Serializer):
    package = PackageSerializer()
    validation = ValidationReportSerializer()


class ResolvedDependencySerializer(serializers.Serializer):
    projectId = serializers.CharField()
    version = serializers.CharField()
    components = serializers.DictField(child=serializers.CharField())
    assets = serializers.DictField()


class ResolvedPackageSerializer(serializers.Serializer):
    projectId = serializers.CharField()
    version = serializers.CharField()
    components = serializers.DictField(child=serializers.CharField(), help_text="Compiled code by component name.")
    assets = serializers.DictField()
    dependencies = serializers.DictField(
        child=ResolvedDependencySerializer(),
        required=False,
        help_text="With ?includeDependencies=true: the flattened closure keyed `project@version`.",
    )
