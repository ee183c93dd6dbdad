"""v1 (Metabind) request and response shapes. Input serializers only check types; rules live in services."""

import json

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from components_app import selectors
from components_app.models import AssetStatus, ComponentStatus, ComponentType
from registry.api.fields import NameField, VersionNumberField
from registry.naming import NAME_MAX_LENGTH, NAME_PATTERN

# With ?includeAssets=true a component carries at most this many of its assets (as Metabind documents).
ASSETS_INLINE = 100


def _absolute(context: dict, path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


def asset_url(context: dict, asset) -> str:
    """Where a component's working asset is downloaded (it changes if the asset is replaced)."""
    project = asset.component.project
    return _absolute(
        context,
        reverse(
            "v1:component-asset-file",
            kwargs={
                "organizationId": project.organization.name,
                "projectId": project.name,
                "componentId": str(asset.component_id),
                "assetId": str(asset.pk),
            },
        ),
    )


def package_asset_url(context: dict, version, asset_id) -> str:
    """The versioned URL of an asset a package version holds: it serves the same bytes forever."""
    project = version.package.project
    return _absolute(
        context,
        reverse(
            "v1:package-asset",
            kwargs={
                "organizationId": project.organization.name,
                "projectId": project.name,
                "version": version.version,
                "assetId": str(asset_id),
            },
        ),
    )


# Component source, in characters. Far above any real component, and it bounds the work of compiling one.
CONTENT_MAX_LENGTH = 256_000


class TagsField(serializers.ListField):
    child = serializers.CharField(max_length=100)


class ComponentMetadataInputSerializer(serializers.Serializer):
    tags = TagsField(required=False)


@extend_schema_field({"type": "string", "pattern": NAME_PATTERN, "maxLength": NAME_MAX_LENGTH})
class ComponentNameField(serializers.CharField):
    """A component name. The schema states the rule; the service checks it, so that a refusal is Metabind's
    VALIDATION_FAILED with the name ``provided``."""


class ComponentCreateSerializer(serializers.Serializer):
    name = ComponentNameField(max_length=NAME_MAX_LENGTH, help_text="Unique in the project: letters, digits, _ and -.")
    type = serializers.ChoiceField(choices=ComponentType.choices)
    content = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=CONTENT_MAX_LENGTH,
        help_text=f"The component source, at most {CONTENT_MAX_LENGTH} characters.",
    )
    collectionId = serializers.UUIDField(
        required=False, allow_null=True, help_text="The collection to file it in (null or absent: the root)."
    )
    metadata = ComponentMetadataInputSerializer(required=False)


class ComponentUpdateSerializer(serializers.Serializer):
    """Every field optional. A published component becomes `modified`."""

    name = ComponentNameField(max_length=NAME_MAX_LENGTH, required=False)
    type = serializers.ChoiceField(choices=ComponentType.choices, required=False)
    content = serializers.CharField(
        allow_blank=True, trim_whitespace=False, required=False, max_length=CONTENT_MAX_LENGTH
    )
    collectionId = serializers.UUIDField(
        required=False, allow_null=True, help_text="Move it to this collection (null: the root); the status stays."
    )
    metadata = ComponentMetadataInputSerializer(required=False)


class ComponentMetadataSerializer(serializers.Serializer):
    author = serializers.CharField(allow_null=True)
    tags = TagsField()
    rolledBackFrom = serializers.IntegerField(
        allow_null=True, help_text="Set while a rollback's working copy is unpublished."
    )
    packageVersions = serializers.ListField(
        child=serializers.CharField(), help_text="The package versions holding this component, in semver order."
    )


class AssetMetadataSerializer(serializers.Serializer):
    width = serializers.IntegerField(required=False, help_text="Images: width in pixels.")
    height = serializers.IntegerField(required=False, help_text="Images: height in pixels.")
    format = serializers.CharField(required=False, help_text="png, jpeg, svg, woff2, json...")


class AssetSerializer(serializers.Serializer):
    """A component asset. ``metadata`` holds what the uploader sent plus width, height and format."""

    id = serializers.UUIDField()
    componentId = serializers.UUIDField(source="component_id")
    name = serializers.CharField(help_text="The file name, unique within the component.")
    type = serializers.CharField(source="media_type", help_text="The MIME type, judged from the bytes.")
    url = serializers.SerializerMethodField()
    size = serializers.IntegerField(help_text="Bytes.")
    status = serializers.ChoiceField(choices=AssetStatus.choices)
    metadata = serializers.SerializerMethodField()
    tags = TagsField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    def get_url(self, asset) -> str:
        return asset_url(self.context, asset)

    @extend_schema_field(AssetMetadataSerializer)
    def get_metadata(self, asset) -> dict:
        return asset.metadata


@extend_schema_field(OpenApiTypes.STR)
class JSONStringOrValueField(serializers.Field):
    """A multipart part holding JSON text (``metadata='{"alt": "Logo"}'``), or the value itself in JSON."""

    def __init__(self, *, kind: type, **kwargs):
        self.kind = kind
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, self.kind):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value

    default_error_messages = {"invalid": "Must be JSON of the documented shape."}


class AssetUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The asset: an image, a font or JSON.")
    metadata = JSONStringOrValueField(
        kind=dict, required=False, help_text='A JSON object, as text in a multipart part: `{"alt": "Logo"}`.'
    )
    tags = serializers.CharField(
        required=False,
        help_text='Tags: a JSON array (`["logo", "brand"]`), a comma-separated list, or the part repeated.',
    )

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        raw = data.getlist("tags") if hasattr(data, "getlist") else data.get("tags")
        values["tags"] = _tags_from(raw)
        return values


def _tags_from(raw) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [raw]
    tags: list[str] = []
    for item in raw:
        if isinstance(item, str) and item.strip().startswith("["):
            try:
                parsed = json.loads(item)
            except ValueError:
                raise serializers.ValidationError({"tags": ["Not a JSON array."]}) from None
            if not isinstance(parsed, list) or not all(isinstance(t, str) for t in parsed):
                raise serializers.ValidationError({"tags": ["Must be an array of strings."]})
            tags.extend(parsed)
        elif isinstance(item, str):
            tags.extend(t.strip() for t in item.split(",") if t.strip())
        else:
            raise serializers.ValidationError({"tags": ["Must be strings."]})
    if any(len(t) > 100 for t in tags):
        raise serializers.ValidationError({"tags": ["Each tag has at most 100 characters."]})
    return list(dict.fromkeys(tags))


class DeletedSerializer(serializers.Serializer):
    message = serializers.CharField()
    id = serializers.CharField()


class CollectionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    folderId = serializers.UUIDField(
        source="parent_id", allow_null=True, help_text="The parent collection; null at the root."
    )
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")


class CollectionCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    folderId = serializers.UUIDField(required=False, allow_null=True, help_text="The parent collection (null: root).")


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
    collectionId = serializers.UUIDField(source="collection_id", allow_null=True, help_text="Null at the root.")
    metadata = serializers.SerializerMethodField()
    assets = serializers.SerializerMethodField(help_text="With ?includeAssets=true its first 100 assets, else null.")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field(ComponentMetadataSerializer)
    def get_metadata(self, component) -> dict:
        return {
            "author": component.author.username if component.author_id else None,
            "tags": component.tags,
            "rolledBackFrom": component.rolled_back_from,
            "packageVersions": selectors.package_versions_of_component(component),
        }

    @extend_schema_field(AssetSerializer(many=True, allow_null=True))
    def get_assets(self, component) -> list[dict] | None:
        rows = getattr(component, "asset_rows", None)
        if rows is None:
            return None
        for row in rows:
            row.component = component  # the URL names its project
        return AssetSerializer(rows[:ASSETS_INLINE], many=True, context=self.context).data


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
    packageVersion = serializers.CharField(
        source="package_version.version",
        allow_null=True,
        help_text="The package that published it; null if published on its own (POST .../publish).",
    )

    def get_status(self, snapshot) -> str:
        return ComponentStatus.PUBLISHED  # versions exist only once published, and never change

    def get_createdBy(self, snapshot) -> str | None:
        return snapshot.created_by.username if snapshot.created_by_id else None


class DependencyCreateSerializer(serializers.Serializer):
    projectId = NameField(help_text="A project of the same organization.")
    version = VersionNumberField(help_text="An existing package version of that project (X.Y.Z).")


class DependencySerializer(serializers.Serializer):
    projectId = serializers.CharField(source="depends_on.name")
    name = serializers.CharField(source="depends_on.name")
    version = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")


class ProjectSerializer(serializers.Serializer):
    """A project as the v1 dependency endpoints answer it: the updated project with its dependencies."""

    id = serializers.CharField(source="name", help_text="The project's name (ids in paths are names).")
    organizationId = serializers.CharField(source="organization.name")
    name = serializers.CharField()
    description = serializers.CharField()
    dependencies = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    @extend_schema_field(DependencySerializer(many=True))
    def get_dependencies(self, project) -> list[dict]:
        return DependencySerializer(selectors.dependencies_of(project=project), many=True).data


class PackageMetadataInputSerializer(serializers.Serializer):
    description = serializers.CharField(required=False, allow_blank=True)
    tags = TagsField(required=False)

    def to_internal_value(self, data):
        # The seed's request template spells the keys "metadata.description" and "metadata.tags".
        if isinstance(data, dict):
            data = {key.removeprefix("metadata."): value for key, value in data.items()}
        return super().to_internal_value(data)


class PackageCreateSerializer(serializers.Serializer):
    version = VersionNumberField(
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


class PackageAssetSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    url = serializers.CharField(help_text="Versioned: .../packages/{version}/assets/{id} serves these bytes forever.")
    componentId = serializers.UUIDField()


class NamedAssetSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField()


class PackageCompiledSerializer(serializers.Serializer):
    components = serializers.DictField(child=serializers.CharField(), help_text="Compiled code by component name.")
    assets = serializers.DictField(
        child=NamedAssetSerializer(many=True), help_text="Assets by component name: [{name, url}]."
    )


def assets_by_component(context: dict, version) -> dict[str, list[dict]]:
    """``{component name: [{name, url}]}`` of a package version (its ``asset_entries`` prefetched)."""
    out: dict[str, list[dict]] = {}
    for entry in version.asset_entries.all():
        out.setdefault(entry.component_name, []).append(
            {"name": entry.asset.name, "url": package_asset_url(context, version, entry.asset_id)}
        )
    return out


class PackageMetadataSerializer(serializers.Serializer):
    author = serializers.CharField(allow_null=True, help_text="The user who published the version.")
    description = serializers.CharField()
    tags = TagsField()


class PackageSerializer(serializers.Serializer):
    """A package version. Expects the prefetches of ``selectors.package_versions_of``."""

    id = serializers.SerializerMethodField(help_text="The package's UUID.")
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

    def get_id(self, version) -> str:
        return str(version.release.pk)

    @extend_schema_field(PackageAssetSerializer(many=True))
    def get_assets(self, version) -> list[dict]:
        return [
            {
                "id": str(entry.asset_id),
                "name": entry.asset.name,
                "url": package_asset_url(self.context, version, entry.asset_id),
                "componentId": str(entry.asset.component_id),
            }
            for entry in version.asset_entries.all()
        ]

    @extend_schema_field(PackageCompiledSerializer)
    def get_compiled(self, version) -> dict:
        return {
            "components": {
                e.component_version.name: e.component_version.compiled for e in version.component_entries.all()
            },
            "assets": assets_by_component(self.context, version),
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


class ResolvedContentSerializer(serializers.Serializer):
    components = serializers.DictField(child=serializers.CharField(), help_text="Compiled code by component name.")
    assets = serializers.DictField(child=NamedAssetSerializer(many=True), help_text="[{name, url}] by component name.")


class ResolvedMainSerializer(ResolvedContentSerializer):
    version = serializers.CharField()


class ResolvedPackageSerializer(serializers.Serializer):
    package = ResolvedMainSerializer()
    dependencies = serializers.DictField(
        child=ResolvedContentSerializer(),
        help_text="With ?includeDependencies=true: the locked closure, flattened, keyed `project@version` ({} otherwise).",
    )


def resolved_content(context: dict, version) -> dict:
    return {
        "components": {e.component_version.name: e.component_version.compiled for e in version.component_entries.all()},
        "assets": assets_by_component(context, version),
    }


def resolved_body(context: dict, version, closure) -> dict:
    """The runtime form of a package version, as Metabind documents it."""
    return {
        "package": {"version": version.version, **resolved_content(context, version)},
        "dependencies": {
            f"{locked.package.project.name}@{locked.version}": resolved_content(context, locked) for locked in closure
        },
    }


class DraftComponentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=ComponentType.choices)
    status = serializers.ChoiceField(choices=ComponentStatus.choices)
    version = serializers.IntegerField(
        allow_null=True, help_text="Its current published number (lastPublishedVersion when modified), null if never."
    )
    nextVersion = serializers.IntegerField(help_text="The number the next package gives it.")
    content = serializers.CharField()
    compiled = serializers.CharField()


class DraftPackageSerializer(serializers.Serializer):
    """What creating a package now would hold, and its validation report. Nothing is written."""

    version = serializers.CharField(default="draft")
    previousVersion = serializers.CharField(allow_null=True, help_text="The latest package version, if any.")
    components = DraftComponentSerializer(many=True)
    assets = AssetSerializer(many=True)
    dependencies = PackageDependencySerializer(many=True)
    validation = ValidationReportSerializer()
