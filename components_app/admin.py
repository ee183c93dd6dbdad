"""The staff console for components: browse them, their immutable versions, and diffs between them."""

from django.contrib import admin
from django.db.models import Count
from django.urls import path, reverse
from django.utils.html import format_html

from components_app import admin_views
from components_app.models import (
    Collection,
    Component,
    ComponentAsset,
    ComponentVersion,
    PackageAsset,
    PackageComponent,
    ProjectDependency,
)
from registry.admin_actions import ReadOnlyAdmin, badge, project_filter
from registry.admin_display import json_block, source_block, tag_list


class SourceDisplayMixin:
    """Read-only source, compiled output and schema in monospace blocks that keep their indentation."""

    @admin.display(description="tags")
    def tags_list(self, obj):
        return tag_list(obj.tags)

    @admin.display(description="content")
    def content_source(self, obj):
        return source_block(obj.content, language="typescript")

    @admin.display(description="compiled")
    def compiled_source(self, obj):
        return source_block(obj.compiled, language="javascript")

    @admin.display(description="schema")
    def schema_json(self, obj):
        return json_block(obj.schema)


@admin.register(Component)
class ComponentAdmin(SourceDisplayMixin, ReadOnlyAdmin):
    list_display = [
        "name",
        "project",
        "type",
        "status_badge",
        "version",
        "last_published_version",
        "versions_count",
        "updated_at",
    ]
    list_filter = ["status", "type", "project__organization", project_filter("project")]
    list_select_related = ["project__organization"]
    search_fields = ["name", "title", "description", "project__name"]
    fields = [
        "id",
        "project",
        "name",
        "type",
        "status",
        "title",
        "description",
        "tags_list",
        "version",
        "last_published_version",
        "rolled_back_from",
        "author",
        "content_source",
        "compiled_source",
        "schema_json",
        "created_at",
        "updated_at",
    ]
    # Components change only through the API's draft/publish lifecycle, never by typing here.
    readonly_fields = fields
    change_form_template = "admin/components_app/component/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(versions_total=Count("versions"))

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return badge(obj.status, obj.get_status_display())

    @admin.display(description="versions", ordering="versions_total")
    def versions_count(self, obj):
        return obj.versions_total

    def get_urls(self):
        def diff(request, object_id):
            return admin_views.component_diff_view(self, request, object_id)

        return [
            path("<path:object_id>/diff/", self.admin_site.admin_view(diff), name="components_app_component_diff"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {}
        if obj is not None:
            extra["component_versions"] = list(
                obj.versions.select_related("package_version", "created_by").order_by("-version")
            )
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})


@admin.register(ComponentVersion)
class ComponentVersionAdmin(SourceDisplayMixin, ReadOnlyAdmin):
    list_display = ["name", "version", "type", "project", "package_version_link", "created_by", "created_at"]
    list_filter = ["type", "component__project__organization", project_filter("component__project")]
    list_select_related = ["component__project__organization", "package_version__package", "created_by"]
    search_fields = ["name", "component__project__name", "package_version__version"]
    readonly_fields = [
        {"content": "content_source", "compiled": "compiled_source", "schema": "schema_json"}.get(f.name, f.name)
        for f in ComponentVersion._meta.fields
    ]
    fields = readonly_fields

    @admin.display(description="project", ordering="component__project__name")
    def project(self, obj):
        return obj.component.project

    @admin.display(description="package version", ordering="package_version__package__name")
    def package_version_link(self, obj):
        if obj.package_version_id is None:
            return "published on its own"
        url = reverse("admin:packages_app_version_change", args=[obj.package_version_id])
        return format_html('<a href="{}">{}</a>', url, obj.package_version.label)


@admin.register(PackageComponent)
class PackageComponentAdmin(ReadOnlyAdmin):
    list_display = ["package_version", "component_version"]
    list_select_related = ["package_version__package", "component_version"]
    search_fields = ["package_version__package__name", "component_version__name"]
    readonly_fields = ["package_version", "component_version"]


@admin.register(ProjectDependency)
class ProjectDependencyAdmin(ReadOnlyAdmin):
    """Browsable only: declaring one goes through the v1 API, whose service refuses cycles."""

    list_display = ["project", "depends_on", "version", "created_at"]
    list_filter = ["project__organization"]
    list_select_related = ["project__organization", "depends_on__organization"]
    search_fields = ["project__name", "depends_on__name"]
    readonly_fields = ["project", "depends_on", "version", "created_at"]


@admin.register(ComponentAsset)
class ComponentAssetAdmin(ReadOnlyAdmin):
    """Browsable only: uploads and deletes go through the v1 API (types judged, ASSET_IN_USE refused)."""

    list_display = ["name", "component", "project", "media_type", "size", "sha256", "packages_count", "created_at"]
    list_filter = ["media_type", "component__project__organization", project_filter("component__project")]
    list_select_related = ["component__project__organization", "artifact"]
    search_fields = ["name", "component__name", "component__project__name", "artifact__sha256"]
    fields = [
        "id", "component", "name", "media_type", "size", "artifact", "status", "metadata", "tags_list",
        "created_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(packages_total=Count("package_entries"))

    @admin.display(description="project", ordering="component__project__name")
    def project(self, obj):
        return obj.component.project

    @admin.display(description="sha256", ordering="artifact__sha256")
    def sha256(self, obj):
        return obj.artifact.sha256[:12]

    @admin.display(description="packages", ordering="packages_total")
    def packages_count(self, obj):
        return obj.packages_total

    @admin.display(description="tags")
    def tags_list(self, obj):
        return tag_list(obj.tags)


@admin.register(PackageAsset)
class PackageAssetAdmin(ReadOnlyAdmin):
    list_display = ["package_version", "component_name", "asset"]
    list_select_related = ["package_version__package", "asset"]
    search_fields = ["package_version__package__name", "component_name", "asset__name"]
    readonly_fields = ["package_version", "component_name", "asset"]


@admin.register(Collection)
class CollectionAdmin(ReadOnlyAdmin):
    list_display = ["name", "project", "parent", "components_count", "created_at"]
    list_filter = ["project__organization", project_filter("project")]
    list_select_related = ["project__organization", "parent"]
    search_fields = ["name", "project__name"]
    readonly_fields = ["id", "project", "name", "parent", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(components_total=Count("components"))

    @admin.display(description="components", ordering="components_total")
    def components_count(self, obj):
        return obj.components_total
