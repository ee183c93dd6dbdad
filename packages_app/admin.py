"""The staff console for packages and versions. Writes go through services; reads through annotated querysets."""

from django.contrib import admin
from django.db.models import Count
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html

from packages_app import admin_views
from packages_app.admin_selectors import version_history, version_sections
from packages_app.indexing import request_reindex
from packages_app.models import (
    ArchiveStatus,
    Artifact,
    ArtifactReplica,
    Dependency,
    IndexEntry,
    IndexStatus,
    LockEntry,
    Package,
    PackageGrant,
    PackagePermissionRequest,
    UsedVersionNumber,
    Version,
)
from packages_app.services import (
    PackageChanges,
    delete_package,
    outside_dependents,
    set_archive_status,
    update_package,
)
from registry.admin import GrantAdmin, GrantPrincipalFilter, PermissionRequestAdmin
from registry.admin_actions import (
    DeletedThroughServiceMixin,
    ReadOnlyAdmin,
    badge,
    confirm_then,
    project_filter,
    run_each,
)
from registry.admin_display import json_block, tag_list
from registry.admin_forms import GrantAdminForm, TagsAsListAdminMixin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LatestIndexStatusFilter(admin.SimpleListFilter):
    """A package's index status is its latest version's (annotated by ``with_latest``)."""

    title = "index status"
    parameter_name = "index_status"

    def lookups(self, request, model_admin):
        return IndexStatus.choices

    def queryset(self, request, queryset):
        if self.value() in IndexStatus.values:
            return queryset.filter(latest_index_status=self.value())
        return queryset


def version_link(version_id, label):
    return format_html('<a href="{}">{}</a>', reverse("admin:packages_app_version_change", args=[version_id]), label)


@admin.register(Package)
class PackageAdmin(TagsAsListAdminMixin, DeletedThroughServiceMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "project",
        "kind",
        "latest_version",
        "index_status",
        "version_count",
        "replication_count",
        "updated_at",
    ]
    list_filter = [
        "kind",
        LatestIndexStatusFilter,
        "project__organization",
        project_filter("project"),
    ]
    list_select_related = ["project__organization"]
    search_fields = ["name", "description", "resource_identifier", "project__name", "project__organization__name"]
    autocomplete_fields = ["project"]
    readonly_fields = ["created_at", "updated_at"]
    change_form_template = "admin/packages_app/package/change_form.html"

    def has_add_permission(self, request):
        return False  # packages come into being when their first version is published

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # Renaming or moving a package would orphan its resource identifier and its versions' locks.
        return ["project", "name", "kind", "resource_identifier", *self.readonly_fields]

    def get_queryset(self, request):
        return super().get_queryset(request).with_latest().annotate(versions_total=Count("versions"))

    @admin.display(description="latest version", ordering="latest_version_string")
    def latest_version(self, obj):
        if not obj.latest_version_id:
            return "—"
        return version_link(obj.latest_version_id, obj.latest_version_string)

    @admin.display(description="index status", ordering="latest_index_status")
    def index_status(self, obj):
        if not obj.latest_index_status:
            return "—"
        return badge(obj.latest_index_status, IndexStatus(obj.latest_index_status).label)

    @admin.display(description="versions", ordering="versions_total")
    def version_count(self, obj):
        return obj.versions_total

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/check/",
                view(lambda request, object_id: admin_views.package_check_view(self, request, object_id)),
                name="packages_app_package_check",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        update_package(
            package=obj,
            changes=PackageChanges(description=obj.description, replication_count=obj.replication_count, tags=obj.tags),
        )

    def delete_with_service(self, obj):
        delete_package(package=obj)

    def delete_blockers(self, objs):
        return [
            f"{label} depends on it"
            for label in outside_dependents(Package.objects.filter(pk__in=[o.pk for o in objs]))
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {"version_history": version_history(obj)} if obj is not None else {}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


class PackageGrantAdminForm(GrantAdminForm):
    scope_fields = ("package",)

    class Meta:
        model = PackageGrant
        fields = ["package", "user", "group", "role"]
        help_texts = {"user": "Choose a user or a group, not both."}


@admin.register(PackageGrant)
class PackageGrantAdmin(GrantAdmin):
    """Grants on one package (those on its project and organization are under Registry: Grants)."""

    form = PackageGrantAdminForm
    list_filter = ["role", GrantPrincipalFilter]
    list_select_related = ["package__project__organization", "user", "group"]
    search_fields = ["user__username", "user__email", "group__name", "package__name"]
    autocomplete_fields = ["package", "user", "group"]
    fieldsets = [
        ("Where", {"fields": ["package"]}),
        ("Who", {"fields": ["user", "group"]}),
        (None, {"fields": ["role"]}),
    ]


@admin.register(PackagePermissionRequest)
class PackagePermissionRequestAdmin(PermissionRequestAdmin):
    list_select_related = ["user", "package__project__organization", "decided_by"]
    search_fields = ["user__username", "user__email", "message", "package__name"]
    fields = [
        "package" if name == "organization" else name for name in PermissionRequestAdmin.fields if name != "project"
    ]
    readonly_fields = fields


@admin.register(Version)
class VersionAdmin(ReadOnlyAdmin):
    list_display = [
        "label",
        "project",
        "archive_badge",
        "index_badge",
        "author",
        "artifact_size",
        "created_at",
    ]
    list_display_links = ["label"]
    list_filter = [
        "index_status",
        "archive_status",
        "package__kind",
        "package__project__organization",
        project_filter("package__project"),
    ]
    list_select_related = ["package__project__organization", "author", "artifact"]
    search_fields = ["version", "package__name", "package__project__name", "description"]
    ordering = ["package__name", "-major", "-minor", "-patch"]
    date_hierarchy = "created_at"
    fields = [
        "package",
        "version",
        "description",
        "tags_list",
        "author",
        "artifact",
        "archive_status",
        "index_status",
        "index_error",
        "index_attempts",
        "index_started_at",
        "indexed_at",
        "manifest_json",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/packages_app/version/change_form.html"
    actions = ["reindex", "archive", "unarchive"]

    def has_change_permission(self, request, obj=None):
        # Nothing on the form is editable, but the status actions need the change permission.
        return super(ReadOnlyAdmin, self).has_change_permission(request, obj)

    @admin.display(description="tags")
    def tags_list(self, obj):
        return tag_list(obj.tags)

    @admin.display(description="manifest (as published)")
    def manifest_json(self, obj):
        return json_block(obj.manifest)

    @admin.display(description="version", ordering="package__name")
    def label(self, obj):
        return obj.label

    @admin.display(description="project", ordering="package__project__name")
    def project(self, obj):
        return obj.package.project

    @admin.display(description="archive status", ordering="archive_status")
    def archive_badge(self, obj):
        return badge(obj.archive_status, obj.get_archive_status_display())

    @admin.display(description="index status", ordering="index_status")
    def index_badge(self, obj):
        return badge(obj.index_status, obj.get_index_status_display())

    @admin.display(description="size", ordering="artifact__size")
    def artifact_size(self, obj):
        return filesizeformat(obj.artifact.size)

    def get_urls(self):
        view = self.admin_site.admin_view

        def graph(request, object_id):
            return admin_views.version_graph_view(self, request, object_id)

        def dependents(request, object_id):
            return admin_views.version_graph_view(self, request, object_id, reverse_graph=True)

        def download(request, object_id):
            return admin_views.version_download_view(self, request, object_id)

        return [
            path("<path:object_id>/graph/", view(graph), name="packages_app_version_graph"),
            path("<path:object_id>/dependents/", view(dependents), name="packages_app_version_dependents"),
            path("<path:object_id>/download/", view(download), name="packages_app_version_download"),
            *super().get_urls(),
        ]

    def has_delete_permission(self, request, obj=None):
        return False  # published versions stay: locks refer to them, and archiving is the way to retire one

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {"sections": version_sections(obj)} if obj is not None else {}
        extra.update(show_save=False, show_save_and_continue=False, show_save_and_add_another=False)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    @admin.action(description="Reindex selected versions", permissions=["change"])
    def reindex(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            run=lambda v: request_reindex(version_id=v.id),
            done="Reindexing {count} version(s).",
        )

    @admin.action(description="Archive selected versions…", permissions=["change"])
    def archive(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            action="archive",
            title="Archive these versions?",
            warning=(
                "Archived versions are no longer chosen by new resolutions and stop being a package's latest "
                "version. Existing locks keep them, and they can be unarchived later."
            ),
            run=lambda v: set_archive_status(version=v, archive_status=ArchiveStatus.ARCHIVE),
            done="Archived {count} version(s).",
        )

    @admin.action(description="Unarchive selected versions", permissions=["change"])
    def unarchive(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            run=lambda v: set_archive_status(version=v, archive_status=ArchiveStatus.UNARCHIVE),
            done="Unarchived {count} version(s).",
        )


class ArtifactReplicaInline(ReadOnlyInline):
    model = ArtifactReplica
    fields = ["location", "status", "checked_at"]
    readonly_fields = fields


@admin.register(Artifact)
class ArtifactAdmin(ReadOnlyAdmin):
    list_display = ["short_sha256", "size", "media_type", "version_count", "created_at"]
    list_filter = ["media_type"]
    search_fields = ["sha256", "md5"]
    readonly_fields = ["sha256", "md5", "size", "media_type", "file", "created_at"]
    inlines = [ArtifactReplicaInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(versions_total=Count("versions"))

    @admin.display(description="versions", ordering="versions_total")
    def version_count(self, obj):
        return obj.versions_total

    @admin.display(description="sha256", ordering="sha256")
    def short_sha256(self, obj):
        # 64 hex digits would take half the list's width; the full digest is on the artifact's page.
        return format_html('<code title="{}">{}…</code>', obj.sha256, obj.sha256[:16])


@admin.register(ArtifactReplica)
class ArtifactReplicaAdmin(ReadOnlyAdmin):
    list_display = ["artifact", "location", "status", "checked_at"]
    list_filter = ["status", "location"]
    list_select_related = ["artifact"]
    search_fields = ["artifact__sha256", "location"]


@admin.register(UsedVersionNumber)
class UsedVersionNumberAdmin(ReadOnlyAdmin):
    list_display = ["package_name", "version", "project", "created_at"]
    list_filter = ["project__organization"]
    list_select_related = ["project__organization"]
    search_fields = ["package_name", "version"]
    readonly_fields = ["project", "package_name", "version", "sha256", "created_at"]


@admin.register(Dependency)
class DependencyAdmin(ReadOnlyAdmin):
    list_display = ["version", "reference", "range", "package"]
    list_filter = ["version__package__project__organization"]
    list_select_related = ["version__package", "package__project__organization"]
    search_fields = ["reference", "package__name", "version__package__name"]
    readonly_fields = ["version", "package", "reference", "range"]


@admin.register(LockEntry)
class LockEntryAdmin(ReadOnlyAdmin):
    list_display = ["root", "resolved", "parent", "range", "depth"]
    list_select_related = ["root__package", "resolved__package", "parent__package"]
    search_fields = ["root__package__name", "resolved__package__name"]
    readonly_fields = ["root", "package", "resolved", "parent", "range", "depth"]


@admin.register(IndexEntry)
class IndexEntryAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "version", "path", "line"]
    list_filter = ["kind", "version__package__project__organization"]
    list_select_related = ["version__package"]
    search_fields = ["name", "path", "doc", "version__package__name"]
    readonly_fields = ["version", "kind", "name", "path", "line", "parent", "doc", "data_json"]
    fields = readonly_fields

    @admin.display(description="data")
    def data_json(self, obj):
        return json_block(obj.data)
