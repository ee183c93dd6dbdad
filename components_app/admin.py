from django.contrib import admin

from components_app.models import Component, ComponentVersion, PackageComponent


class ComponentVersionInline(admin.TabularInline):
    model = ComponentVersion
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["version", "package_version", "created_by", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "type", "status", "version", "last_published_version", "updated_at"]
    list_filter = ["status", "type", "project__organization"]
    list_select_related = ["project__organization"]
    search_fields = ["name", "title", "description", "project__name"]
    readonly_fields = ["id", "version", "last_published_version", "rolled_back_from", "created_at", "updated_at"]
    inlines = [ComponentVersionInline]


@admin.register(ComponentVersion)
class ComponentVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "type", "package_version", "created_by", "created_at"]
    list_filter = ["type"]
    list_select_related = ["package_version__package", "created_by"]
    search_fields = ["name", "component__project__name"]
    readonly_fields = [f.name for f in ComponentVersion._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(PackageComponent)
class PackageComponentAdmin(admin.ModelAdmin):
    list_display = ["package_version", "component_version"]
    list_select_related = ["package_version__package", "component_version"]
    readonly_fields = ["package_version", "component_version"]

    def has_add_permission(self, request):
        return False
