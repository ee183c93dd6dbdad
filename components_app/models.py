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


class Component(TimestampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="components")
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
    package_version = models.ForeignKey(
        "packages_app.Version", on_delete=models.PROTECT, related_name="published_component_versions"
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
