"""v0 serializers for packages and versions, in Credible's shapes (camelCase)."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from packages_app.models import REPLICATION_COUNT_MAX, ArchiveStatus, IndexStatus, ReplicaStatus
from packages_app.replication import replica_health, storage_locations
from registry.api.fields import ResourceIdentifierField, VersionNumberField


class ReplicationCountField(serializers.IntegerField):
    """The copies a package asks for: at most one per configured storage location (the service's check)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=REPLICATION_COUNT_MAX, **kwargs)


class ReplicationCountSchema(OpenApiSerializerFieldExtension):
    """States the bound the server applies: the storage locations configured when the schema is made."""

    target_class = ReplicationCountField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "integer", "minimum": 1, "maximum": min(REPLICATION_COUNT_MAX, len(storage_locations()))}


@extend_schema_serializer(component_name="V0Package")
class PackageSerializer(serializers.Serializer):
    """A package as Credible shows it. Expects a queryset annotated by ``PackageQuerySet.with_latest()``."""

    name = serializers.CharField(help_text="Unique within the project; pattern ^[a-zA-Z0-9_-]+$")
    latestVersion = serializers.CharField(
        source="latest_version_string",
        allow_null=True,
        help_text="The highest unarchived version (X.Y.Z), null when there is none",
    )
    description = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    replicationCount = serializers.IntegerField(
        source="replication_count", min_value=1, max_value=REPLICATION_COUNT_MAX
    )
    resourceIdentifier = serializers.CharField(source="resource_identifier")
    indexStatus = serializers.SerializerMethodField(help_text="The index status of the latest version")

    def get_indexStatus(self, package) -> str:
        return getattr(package, "latest_index_status", None) or IndexStatus.UNKNOWN


@extend_schema_serializer(component_name="V0PackagePart")
class PackagePartSerializer(serializers.Serializer):
    """The ``package`` multipart part (or a PATCH body). Read-only fields a client echoes back are ignored."""

    description = serializers.CharField(required=False, allow_blank=True)
    replicationCount = ReplicationCountField(
        required=False, help_text="How many storage locations keep each artifact (at most the number configured)"
    )
    resourceIdentifier = ResourceIdentifierField(required=False)
    name = serializers.CharField(required=False, help_text="Ignored: the name in the path wins")


@extend_schema_serializer(component_name="V0Version")
class VersionSerializer(serializers.Serializer):
    id = serializers.CharField(source="version", help_text="The version, X.Y.Z")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    archiveStatus = serializers.ChoiceField(source="archive_status", choices=ArchiveStatus.choices)
    indexStatus = serializers.ChoiceField(source="index_status", choices=IndexStatus.choices)


# The columns VersionSerializer reads. A list selects these alone (``.values(*VERSION_COLUMNS)``): no model
# instance per version, and none of its other columns (the manifest and tags JSON) decoded.
VERSION_COLUMNS = tuple(field.source for field in VersionSerializer().fields.values())


class ReplicaSerializer(serializers.Serializer):
    location = serializers.CharField(help_text="The storage location holding this copy")
    status = serializers.ChoiceField(choices=ReplicaStatus.choices, help_text="What the last integrity check found")
    checkedAt = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="V0VersionDetail")
class VersionDetailSerializer(VersionSerializer):
    """One version: the Credible fields plus its archive's digests and the health of each stored copy."""

    sha256 = serializers.CharField(source="artifact.sha256")
    size = serializers.IntegerField(source="artifact.size")
    indexError = serializers.SerializerMethodField(help_text="Why indexing failed, in words; null unless failed")
    replicas = serializers.SerializerMethodField()

    def get_indexError(self, version) -> str | None:
        return (version.index_error or None) if version.index_status == IndexStatus.FAILED else None

    @extend_schema_field(ReplicaSerializer(many=True))
    def get_replicas(self, version) -> list[dict]:
        return ReplicaSerializer(replica_health(version.artifact), many=True).data


@extend_schema_serializer(component_name="V0VersionPart")
class VersionPartSerializer(serializers.Serializer):
    """The ``version`` multipart part: ``id`` is the version to publish."""

    id = VersionNumberField(help_text="The version to publish, above the package's latest")
    archiveStatus = serializers.ChoiceField(
        choices=ArchiveStatus.choices, required=False, help_text="Publish archived with 'archive'"
    )


@extend_schema_serializer(component_name="V0VersionUpdate")
class VersionUpdateSerializer(serializers.Serializer):
    archiveStatus = serializers.ChoiceField(choices=ArchiveStatus.choices)


# The JSON parts of the upload: text fields in the browsable API's form, their objects in the schema.
@extend_schema_field(PackagePartSerializer)
class PackagePartJSONField(serializers.JSONField):
    pass


@extend_schema_field(VersionPartSerializer)
class VersionPartJSONField(serializers.JSONField):
    pass


@extend_schema_serializer(component_name="V0PackageUpload")
class PackageUploadSerializer(serializers.Serializer):
    """The multipart/form-data body of create-or-update (documentation of the parts)."""

    package = PackagePartJSONField(required=False, help_text="JSON: the package's metadata to set")
    version = VersionPartJSONField(
        required=False, help_text="JSON: the version to publish from packageFile (both parts, or neither)"
    )
    packageFile = serializers.FileField(
        required=False, help_text="The package archive (zip or tar.gz with publisher.json at its root)"
    )
    md5Hash = serializers.CharField(required=False, help_text="Hex md5 of packageFile; checked when given")
