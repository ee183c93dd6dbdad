"""Packages, their immutable versions, content-addressed artifacts, dependencies, locks and index entries."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from registry.access import visible_q
from registry.models import (
    PROJECT_ROLES,
    GrantFields,
    PermissionRequestFields,
    Project,
    TimestampedModel,
    name_field,
    name_is_valid,
    one_pending_request_per_user,
)
from registry.naming import (
    RESOURCE_IDENTIFIER_MAX_LENGTH,
    RESOURCE_IDENTIFIER_PATTERN,
    VERSION_PATTERN,
    validate_resource_identifier,
)

# The most copies of each artifact a package may ask for (fewer when fewer storage locations are configured).
REPLICATION_COUNT_MAX = 10


def artifact_storage():
    # A callable, so migrations do not name a storage backend (filesystem here, S3 in production).
    return storages["artifacts"]


def artifact_key(sha256: str) -> str:
    """Where a blob lives: derived from its digest, so a key never holds other bytes."""
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


class Artifact(models.Model):
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    md5 = models.CharField(max_length=32, editable=False)
    size = models.BigIntegerField(editable=False)
    media_type = models.CharField(max_length=100, default="application/octet-stream")
    file = models.FileField(storage=artifact_storage, max_length=200, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=0), name="artifact_size_non_negative"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="artifact_sha256_hex"),
            models.CheckConstraint(condition=Q(md5__regex=r"^[0-9a-f]{32}$"), name="artifact_md5_hex"),
        ]

    def __str__(self) -> str:
        return f"sha256:{self.sha256[:12]} ({self.size} bytes)"


class ReplicaStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    HEALTHY = "healthy", "Healthy"
    MISSING = "missing", "Missing"
    CORRUPT = "corrupt", "Corrupt"


class ArtifactReplica(models.Model):
    """A copy of an artifact in one storage location (a key of ``settings.STORAGES``)."""

    artifact = models.ForeignKey(Artifact, on_delete=models.CASCADE, related_name="replicas")
    location = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=ReplicaStatus.choices, default=ReplicaStatus.PENDING)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["artifact", "location"]
        constraints = [
            models.UniqueConstraint("artifact", "location", name="artifact_replica_unique_location"),
            models.CheckConstraint(condition=Q(status__in=ReplicaStatus.values), name="artifact_replica_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.artifact} @ {self.location}: {self.status}"


class ArchiveStatus(models.TextChoices):
    ARCHIVE = "archive", "Archived"
    UNARCHIVE = "unarchive", "Available"


class IndexStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    INDEXING = "indexing", "Indexing"
    INDEXED = "indexed", "Indexed"
    FAILED = "failed", "Failed"


class PackageKind(models.TextChoices):
    DATA_MODEL = "data-model", "Data model (Malloy)"
    COMPONENTS = "components", "Components"


class PackageQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PackageQuerySet":
        """Packages the user may read: a grant on the package, its project or its organization."""
        return self.filter(visible_q(user, organization="project__organization", project="project", package="pk"))

    def component_packages(self) -> "PackageQuerySet":
        """Each project's component package: the package of kind components named after its project."""
        return self.filter(kind=PackageKind.COMPONENTS, name__lower=Lower("project__name"))

    def named(self, project: Project, name: str) -> "PackageQuerySet":
        """The package called ``name`` (any case) in ``project``: at most one row, so no ordering.

        The default ordering would join projects and organizations only to sort that row, and make a
        ``select_for_update()`` lock their rows too, serializing every publish in the organization.
        """
        return self.filter(project=project, name__lower=name.lower()).order_by()

    def in_project(self, organization: str, project: str) -> "PackageQuerySet":
        return self.filter(
            project__organization__name__lower=organization.lower(), project__name__lower=project.lower()
        )

    def with_latest(self) -> "PackageQuerySet":
        """Annotate ``latest_version_id``, ``latest_version_string`` and ``latest_index_status``.

        latestVersion is the highest unarchived version, derived in SQL rather than stored, so it can
        never disagree with the versions (backports and archiving included).
        """
        latest = Version.objects.filter(package=OuterRef("pk"), archive_status=ArchiveStatus.UNARCHIVE).order_by(
            "-major", "-minor", "-patch"
        )
        return self.annotate(
            latest_version_id=Subquery(latest.values("pk")[:1]),
            latest_version_string=Subquery(latest.values("version")[:1]),
            latest_index_status=Subquery(latest.values("index_status")[:1]),
        )


def attach_latest(package: "Package") -> "Package":
    """Set ``with_latest()``'s three annotations on a package already in hand, with one indexed query."""
    latest = (
        Version.objects.filter(package_id=package.pk, archive_status=ArchiveStatus.UNARCHIVE)
        .order_by("-major", "-minor", "-patch")
        .values_list("pk", "version", "index_status")
        .first()
    )
    package.latest_version_id, package.latest_version_string, package.latest_index_status = latest or (None,) * 3
    return package


class Package(TimestampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="packages")
    name = name_field()
    kind = models.CharField(max_length=16, choices=PackageKind.choices, default=PackageKind.DATA_MODEL)
    description = models.TextField(blank=True)
    replication_count = models.PositiveSmallIntegerField(default=1)
    resource_identifier = models.CharField(
        max_length=RESOURCE_IDENTIFIER_MAX_LENGTH, unique=True, validators=[validate_resource_identifier]
    )
    tags = models.JSONField(default=list, blank=True)

    objects = PackageQuerySet.as_manager()

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint("project", Lower("name"), name="package_name_unique_ci"),
            models.CheckConstraint(condition=name_is_valid(), name="package_name_valid"),
            models.CheckConstraint(
                condition=Q(replication_count__gte=1, replication_count__lte=REPLICATION_COUNT_MAX),
                name="package_replication_count_1_to_10",
            ),
            models.CheckConstraint(
                condition=Q(resource_identifier__regex=RESOURCE_IDENTIFIER_PATTERN),
                name="package_resource_identifier_valid",
            ),
            models.CheckConstraint(condition=Q(kind__in=PackageKind.values), name="package_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.project}/{self.name}"

    @property
    def access_scope(self) -> tuple[int, int, int]:
        """Where grants reach this package from (see registry.access)."""
        return self.project.organization_id, self.project_id, self.pk

    @property
    def reference(self) -> str:
        return f"{self.project.organization.name}/{self.project.name}/{self.name}"


class PackageGrant(GrantFields):
    """A role on one package (viewer, modeler or admin), given to one user or one group.

    Registered with ``registry.hooks`` (``PackagesAppConfig.ready``), so the one access rule in
    ``registry.access`` counts it beside the grants on organizations and projects.
    """

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="grants")
    # A package's roles only (forms and filters offer no organization role); the constraint below holds it.
    role = models.CharField(max_length=16, choices=[(role.value, role.label) for role in PROJECT_ROLES])

    class Meta(GrantFields.Meta):
        constraints = [
            *GrantFields.Meta.constraints,
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in PROJECT_ROLES]), name="packagegrant_role_fits_scope"
            ),
            models.UniqueConstraint(
                "package", "user", name="packagegrant_unique_user", condition=Q(user__isnull=False)
            ),
            models.UniqueConstraint(
                "package", "group", name="packagegrant_unique_group", condition=Q(group__isnull=False)
            ),
        ]

    @property
    def scope(self):
        return self.package


class PackagePermissionRequest(PermissionRequestFields):
    """A request for a role on one package."""

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="permission_requests")
    role = models.CharField(max_length=16, choices=[(role.value, role.label) for role in PROJECT_ROLES])

    class Meta(PermissionRequestFields.Meta):
        constraints = [one_pending_request_per_user("package", prefix="packagepermissionrequest")]

    @property
    def scope(self):
        return self.package


class VersionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "VersionQuerySet":
        return self.filter(package__in=Package.objects.visible_to(user))

    def semver_order(self) -> "VersionQuerySet":
        return self.order_by("major", "minor", "patch")

    def newest_first(self) -> "VersionQuerySet":
        return self.order_by("-major", "-minor", "-patch")

    def available(self) -> "VersionQuerySet":
        """Versions new resolutions may choose: not archived."""
        return self.filter(archive_status=ArchiveStatus.UNARCHIVE)


class Version(TimestampedModel):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=64)
    # The three numbers as integers so ORDER BY gives semver order (10.0.0 after 9.0.0).
    major = models.PositiveIntegerField(editable=False)
    minor = models.PositiveIntegerField(editable=False)
    patch = models.PositiveIntegerField(editable=False)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="published_versions"
    )
    artifact = models.ForeignKey(Artifact, on_delete=models.PROTECT, related_name="versions")
    manifest = models.JSONField(
        default=dict, blank=True, help_text="publisher.json (or the component manifest) as published"
    )
    archive_status = models.CharField(max_length=16, choices=ArchiveStatus.choices, default=ArchiveStatus.UNARCHIVE)
    index_status = models.CharField(max_length=16, choices=IndexStatus.choices, default=IndexStatus.UNKNOWN)
    index_error = models.TextField(blank=True)
    index_attempts = models.PositiveIntegerField(default=0)
    index_started_at = models.DateTimeField(null=True, blank=True)
    # Who holds (or last held) the indexing claim: the Celery task id (a redelivery of that task takes the
    # claim over), the worker process as host:pid, and when that process last showed it was alive.
    index_task_id = models.CharField(max_length=255, blank=True, default="")
    index_worker = models.CharField(max_length=255, blank=True, default="")
    index_heartbeat_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField(null=True, blank=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["package", "major", "minor", "patch"]
        indexes = [
            models.Index(fields=["package", "archive_status", "major", "minor", "patch"], name="version_latest_idx"),
            models.Index(fields=["index_status", "updated_at"], name="version_index_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint("package", "version", name="version_unique_per_package"),
            models.UniqueConstraint("package", "major", "minor", "patch", name="version_numbers_unique_per_package"),
            models.CheckConstraint(condition=Q(version__regex=VERSION_PATTERN), name="version_is_strict_semver"),
            models.CheckConstraint(
                condition=Q(archive_status__in=ArchiveStatus.values), name="version_archive_status_valid"
            ),
            models.CheckConstraint(condition=Q(index_status__in=IndexStatus.values), name="version_index_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.package.name}@{self.version}"

    @property
    def label(self) -> str:
        return f"{self.package.name}@{self.version}"

    def set_numbers_from_version(self) -> None:
        from registry.naming import parse_version

        parsed = parse_version(self.version)
        if parsed is None:
            raise ValueError(f"not a strict X.Y.Z version: {self.version!r}")
        self.major, self.minor, self.patch = parsed.major, parsed.minor, parsed.patch


class UsedVersionNumber(models.Model):
    """Every version number ever published in a package, kept after deletes so none is reused.

    Keyed by the package's name (lower-cased) within its project, so a deleted and re-created package
    still cannot publish a number its predecessor used.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="used_version_numbers")
    package_name = models.CharField(max_length=100)
    version = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64, blank=True, help_text="digest of the bytes first published at this number")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint("project", "package_name", "version", name="used_version_number_unique"),
            models.CheckConstraint(
                condition=Q(package_name=Lower("package_name")), name="used_version_number_name_lower"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project}/{self.package_name}@{self.version}"


class Dependency(models.Model):
    """A version's declared requirement on another package, by semver range (npm syntax)."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="dependencies")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="dependents")
    reference = models.CharField(
        max_length=400, help_text="the reference as declared, e.g. 'core' or 'org/project/core'"
    )
    range = models.CharField(max_length=200)

    class Meta:
        ordering = ["version", "reference"]
        verbose_name_plural = "dependencies"
        constraints = [models.UniqueConstraint("version", "package", name="dependency_unique_per_version")]

    def __str__(self) -> str:
        return f"{self.version} -> {self.reference} {self.range}"


class LockEntry(models.Model):
    """One node of a version's resolved closure, written at publish time and never changed.

    ``parent`` is the version whose requirement brought this node in first (null for a direct
    dependency of the root), ``range`` that requirement, ``depth`` its distance from the root.
    """

    root = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="lock_entries")
    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="+")
    resolved = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="locked_by")
    parent = models.ForeignKey(Version, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    range = models.CharField(max_length=200)
    depth = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["root", "depth", "package"]
        verbose_name_plural = "lock entries"
        constraints = [
            models.UniqueConstraint("root", "package", name="lock_entry_one_version_per_package"),
            models.CheckConstraint(condition=Q(depth__gte=1), name="lock_entry_depth_positive"),
            models.CheckConstraint(condition=~Q(root=F("resolved")), name="lock_entry_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.root} locks {self.resolved}"


class IndexKind(models.TextChoices):
    FILE = "file", "File"
    MANIFEST = "manifest", "Manifest"
    MODEL = "model", "Model"
    IMPORT = "import", "Import"
    EXPORT = "export", "Export"
    SOURCE = "source", "Source"
    DIMENSION = "dimension", "Dimension"
    MEASURE = "measure", "Measure"
    VIEW = "view", "View"
    JOIN = "join", "Join"
    QUERY = "query", "Query"
    RUN = "run", "Run"
    GIVEN = "given", "Given"
    NEST = "nest", "Nested view"
    FIELD = "field", "Query field"
    RENAME = "rename", "Rename"
    NOTEBOOK = "notebook", "Notebook"
    CELL = "cell", "Notebook cell"
    DATA = "data", "Data file"
    DASHBOARD = "dashboard", "Dashboard"
    APP = "app", "Data app"
    COMPONENT = "component", "Component"


class IndexEntry(models.Model):
    """Something indexing found in a version's archive."""

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="index_entries")
    kind = models.CharField(max_length=16, choices=IndexKind.choices)
    name = models.CharField(max_length=400)
    path = models.CharField(max_length=1000, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    doc = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["version", "path", "line", "id"]
        verbose_name_plural = "index entries"
        indexes = [models.Index(fields=["version", "kind"]), models.Index(fields=["name"])]
        constraints = [models.CheckConstraint(condition=Q(kind__in=IndexKind.values), name="index_entry_kind_valid")]

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"
