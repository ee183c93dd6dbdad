from django.contrib import admin

from packages_app.models import (
    Artifact,
    ArtifactReplica,
    Dependency,
    IndexEntry,
    LockEntry,
    Package,
    UsedVersionNumber,
    Version,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VersionInline(ReadOnlyInline):
    model = Version
    fields = ["version", "archive_status", "index_status", "author", "created_at"]
    readonly_fields = fields
    ordering = ["-major", "-minor", "-patch"]


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "kind", "latest_version", "replication_count", "updated_at"]
    list_filter = ["kind", "project__organization"]
    list_select_related = ["project__organization"]
    search_fields = ["name", "description", "resource_identifier", "project__name", "project__organization__name"]
    autocomplete_fields = ["project"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [VersionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).with_latest()

    @admin.display(description="latest version", ordering="latest_version_string")
    def latest_version(self, obj):
        return obj.latest_version_string or "—"


class DependencyInline(ReadOnlyInline):
    model = Dependency
    fk_name = "version"
    fields = ["reference", "package", "range"]
    readonly_fields = fields


class LockEntryInline(ReadOnlyInline):
    model = LockEntry
    fk_name = "root"
    fields = ["resolved", "parent", "range", "depth"]
    readonly_fields = fields


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "package", "archive_status", "index_status", "author", "artifact_size", "created_at"]
    list_filter = ["archive_status", "index_status", "package__kind", "package__project__organization"]
    list_select_related = ["package__project__organization", "author", "artifact"]
    search_fields = ["version", "package__name", "description"]
    ordering = ["package", "-major", "-minor", "-patch"]
    readonly_fields = [
        "package",
        "version",
        "artifact",
        "author",
        "manifest",
        "index_status",
        "index_error",
        "index_attempts",
        "index_started_at",
        "indexed_at",
        "created_at",
        "updated_at",
    ]
    fields = ["package", "version", "description", "tags", "archive_status", *readonly_fields[2:]]
    inlines = [DependencyInline, LockEntryInline]

    def has_add_permission(self, request):
        return False  # versions are published through the APIs, never typed in

    @admin.display(description="size", ordering="artifact__size")
    def artifact_size(self, obj):
        return obj.artifact.size


class ArtifactReplicaInline(ReadOnlyInline):
    model = ArtifactReplica
    fields = ["location", "status", "checked_at"]
    readonly_fields = fields


@admin.register(Artifact)
class ArtifactAdmin(admin.ModelAdmin):
    list_display = ["sha256", "size", "media_type", "created_at"]
    search_fields = ["sha256", "md5"]
    readonly_fields = ["sha256", "md5", "size", "media_type", "file", "created_at"]
    inlines = [ArtifactReplicaInline]

    def has_add_permission(self, request):
        return False


@admin.register(UsedVersionNumber)
class UsedVersionNumberAdmin(admin.ModelAdmin):
    list_display = ["package_name", "version", "project", "created_at"]
    list_select_related = ["project__organization"]
    search_fields = ["package_name", "version"]
    readonly_fields = ["project", "package_name", "version", "sha256", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin):
    list_display = ["version", "reference", "range", "package"]
    list_select_related = ["version__package", "package__project__organization"]
    search_fields = ["reference", "package__name", "version__package__name"]
    readonly_fields = ["version", "package", "reference", "range"]

    def has_add_permission(self, request):
        return False


@admin.register(LockEntry)
class LockEntryAdmin(admin.ModelAdmin):
    list_display = ["root", "resolved", "parent", "range", "depth"]
    list_select_related = ["root__package", "resolved__package", "parent__package"]
    search_fields = ["root__package__name", "resolved__package__name"]
    readonly_fields = ["root", "package", "resolved", "parent", "range", "depth"]

    def has_add_permission(self, request):
        return False


@admin.register(IndexEntry)
class IndexEntryAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "version", "path", "line"]
    list_filter = ["kind"]
    list_select_related = ["version__package"]
    search_fields = ["name", "path", "doc"]
    readonly_fields = ["version", "kind", "name", "path", "line", "parent", "doc", "data"]

    def has_add_permission(self, request):
        return False
