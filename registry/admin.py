"""The staff console for organizations, projects, grants and tokens."""

from django.contrib import admin
from django.db.models import Count

from packages_app.admin_actions import confirm_then
from registry.models import ApiToken, Grant, Organization, Project, ProjectDependency
from registry.tokens import revoke_token


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "project_count", "created_at", "updated_at"]
    search_fields = ["name", "display_name", "description"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(projects_total=Count("projects"))

    @admin.display(description="projects", ordering="projects_total")
    def project_count(self, obj):
        return obj.projects_total


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "package_count", "created_at", "updated_at"]
    list_filter = ["organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "organization__name", "description"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(packages_total=Count("packages"))

    @admin.display(description="packages", ordering="packages_total")
    def package_count(self, obj):
        return obj.packages_total


@admin.register(ProjectDependency)
class ProjectDependencyAdmin(admin.ModelAdmin):
    list_display = ["project", "depends_on", "version", "created_at"]
    list_select_related = ["project__organization", "depends_on__organization"]
    search_fields = ["project__name", "depends_on__name"]
    autocomplete_fields = ["project", "depends_on"]


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "role", "organization", "project", "package", "user", "group", "created_at"]
    list_filter = ["role"]
    list_select_related = ["organization", "project__organization", "package__project__organization", "user", "group"]
    search_fields = [
        "user__username",
        "user__email",
        "group__name",
        "organization__name",
        "project__name",
        "package__name",
    ]
    autocomplete_fields = ["organization", "project", "package", "user", "group"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "user",
        "group",
        "read_only",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "group"]
    search_fields = ["name", "prefix", "user__username", "group__name"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "group", "name", "prefix", "read_only", "expires_at", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        # The secret must be shown once, to its owner: tokens are issued through the API or the CLI.
        return False

    @admin.action(description="Revoke selected tokens…", permissions=["change"])
    def revoke(self, request, queryset):
        return confirm_then(
            self,
            request,
            queryset,
            action="revoke",
            title="Revoke these tokens?",
            warning="Clients using these tokens are refused from the next request on. This cannot be undone.",
            run=lambda token: revoke_token(token=token),
            done="Revoked {count} token(s).",
        )
