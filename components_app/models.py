"""UI components (drafts edited in place) and their immutable published versions."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from packages_app.models import Package
from registry.access import visible_q
from registry.models import Project, TimestampedModel


class ComponentType(models.TextChoices):
    VIEW = "view", "View"
    LAYOUT = "layout", "Layout"


class ComponentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    MODIFIED = "modified", "Modified"
    PUBLISHED = "published", "Published"
    DELETED = "deleted", "Deleted"


LIVE_STATUSES = (ComponentStatus.DRAFT, ComponentStatus.MODIFIED, ComponentStatus.PUBLISHED)


class ComponentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ComponentQuerySet":
        """Components the user may read: a grant on their project or its organization, or on the project's
        component package. A grant on another package of the project reaches none of its components."""
        readable_component_packages = Package.objects.component_packages().visible_to(user).values("project_id")
        return self.filter(
            visible_q(user, organization="project__organization", project="project", below=False)
            | Q(project__in=readable_component_packages)
        )

    def live(self) -> "ComponentQuerySet":
        return self.filter(status__in=LIVE_STATUSES)


class Collection(TimestampedModel):
    """A folder of components in a project (Metabind's CMS collections). Collections nest: ``parent`` is the
    collection this one sits in (``folderId`` in the API), null at the root. Packages flatten them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="component_collections")
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            # Names are unique among siblings; the root level (parent null) is checked by the service.
            models.UniqueConstraint("project", "parent", Lower("name"), name="collection_name_unique_ci"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="collection_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Component(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="components")
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=16, choices=ComponentType.choices)
    status = models.CharField(max_length=16, choices=ComponentStatus.choices, default=ComponentStatus.DRAFT)
    content = models.TextField(blank=True)
    compiled = models.TextField(blank=True)
    schema = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Null unless published; kept through edits as lastPublishedVersion.
    version = models.PositiveIntegerField(null=True, blank=True)
    last_published_version = models.PositiveIntegerField(null=True, blank=True)
    rolled_back_from = models.PositiveIntegerField(null=True, blank=True)

    objects = ComponentQuerySet.as_manager()

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint("project", Lower("name"), name="component_name_unique_ci"),
            models.CheckConstraint(condition=Q(type__in=ComponentType.values), name="component_type_valid"),
            models.CheckConstraint(condition=Q(status__in=ComponentStatus.values), name="component_status_valid"),
            models.CheckConstraint(
                condition=Q(status=ComponentStatus.PUBLISHED, version__isnull=False)
                | (~Q(status=ComponentStatus.PUBLISHED) & Q(version__isnull=True)),
                name="component_version_only_when_published",
            ),
            models.CheckConstraint(
                condition=Q(version__isnull=True) | Q(version=models.F("last_published_version")),
                name="component_version_is_last_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"


class ComponentVersion(models.Model):
    """A component as one package version published it. Immutable."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=16, choices=ComponentType.choices)
    content = models.TextField(blank=True)
    compiled = models.TextField(blank=True)
    schema = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The package version that published it; null for one published on its own (POST .../publish), which
    # later packages include at that version.
    package_version = models.ForeignKey(
        "packages_app.Version",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_component_versions",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["component", "version"]
        constraints = [
            models.UniqueConstraint("component", "version", name="component_version_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="component_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class PackageComponent(models.Model):
    """The snapshot: which component version each package version contains."""

    package_version = models.ForeignKey(
        "packages_app.Version", on_delete=models.CASCADE, related_name="component_entries"
    )
    component_version = models.ForeignKey(ComponentVersion, on_delete=models.PROTECT, related_name="package_entries")

    class Meta:
        ordering = ["package_version", "component_version__name"]
        constraints = [
            models.UniqueConstraint("package_version", "component_version", name="package_component_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.package_version} contains {self.component_version}"


class AssetStatus(models.TextChoices):
    ACTIVE = "active", "Active"


class ComponentAsset(TimestampedModel):
    """A file bound to a component (image, font or JSON), stored content-addressed as an Artifact.

    Immutable once uploaded: a package snapshots the row itself (:class:`PackageAsset`), so an asset some
    package holds cannot be deleted (``ASSET_IN_USE``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="assets")
    name = models.CharField(max_length=255, help_text="The file name, unique within the component")
    media_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    artifact = models.ForeignKey("packages_app.Artifact", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=AssetStatus.choices, default=AssetStatus.ACTIVE)
    metadata = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["component", "name"]
        constraints = [
            models.UniqueConstraint("component", Lower("name"), name="component_asset_name_unique_ci"),
            models.CheckConstraint(condition=Q(size__gte=0), name="component_asset_size_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class PackageAsset(models.Model):
    """The snapshot: which assets a package version holds, under the name its component had then."""

    package_version = models.ForeignKey("packages_app.Version", on_delete=models.CASCADE, related_name="asset_entries")
    asset = models.ForeignKey(ComponentAsset, on_delete=models.PROTECT, related_name="package_entries")
    component_name = models.CharField(max_length=100)

    class Meta:
        ordering = ["package_version", "component_name", "asset__name"]
        constraints = [
            models.UniqueConstraint("package_version", "asset", name="package_asset_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.package_version} holds {self.asset}"


class PackageRelease(models.Model):
    """The v1 identity of a component package version: Metabind's package ``id`` is a UUID."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.OneToOneField("packages_app.Version", on_delete=models.CASCADE, related_name="release")

    def __str__(self) -> str:
        return f"{self.version} ({self.id})"


class ProjectDependency(TimestampedModel):
    """A Metabind project dependency: this project uses ``depends_on``'s component package at ``version``.

    (Moved from registry in components_app 0003, rows and all: it is a component-project concept.)
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="project_dependencies")
    depends_on = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="project_dependents")
    version = models.CharField(max_length=64)

    class Meta:
        ordering = ["project", "depends_on__name"]
        verbose_name_plural = "project dependencies"
        constraints = [
            models.UniqueConstraint("project", "depends_on", name="project_dependency_unique"),
            models.CheckConstraint(condition=~Q(project=models.F("depends_on")), name="project_dependency_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.project} -> {self.depends_on}@{self.version}"
