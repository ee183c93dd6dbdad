"""The staff console for organizations, projects, grants and tokens."""

from django.contrib import admin
from django.db.models import Count

from packages_app.admin_actions import DeletedThroughServiceMixin, confirm_then
from registry.models import ApiToken, Grant, Organization, OrganizationGroup, Project, ProjectDependency
from registry.services import (
    Changes,
    create_organization,
    create_project,
    delete_organization,
    delete_project,
    update_organization,
    update_project,
)
from registry.tokens import revoke_token


def adopt(obj, saved) -> None:
    """Make the admin's form instance stand for the row a service saved (the admin logs and redirects with it)."""
    obj.pk = saved.pk
    obj._state.adding = False


@admin.register(Organization)
class OrganizationAdmin(DeletedThroughServiceMixin, admin.ModelAdmin):
    package_lookup = "project__organization"

    list_display = ["name", "display_name", "project_count", "created_at", "updated_at"]
    search_fields = ["name", "display_name", "description"]
    readonly_fields = ["created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(projects_total=Count("projects"))

    @admin.display(description="projects", ordering="projects_total")
    def project_count(self, obj):
        return obj.projects_total

    def get_readonly_fields(self, request, obj=None):
        # The name is in every path, resource identifier and lock label: it is chosen once.
        return [*self.readonly_fields, "name"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            update_organization(
                organization=obj, changes=Changes(display_name=obj.display_name, description=obj.description)
            )
        else:
            created = create_organization(
                name=obj.name, creator=request.user, display_name=obj.display_name, description=obj.description
            )
            adopt(obj, created)

    def delete_with_service(self, obj):
        delete_organization(organization=obj)


@admin.register(Project)
class ProjectAdmin(DeletedThroughServiceMixin, admin.ModelAdmin):
    package_lookup = "project"

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

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "organization", "name"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            update_project(project=obj, changes=Changes(description=obj.description))
        else:
            adopt(obj, create_project(organization=obj.organization, name=obj.name, description=obj.description))

    def delete_with_service(self, obj):
        delete_project(project=obj)


@admin.register(ProjectDependency)
class ProjectDependencyAdmin(admin.ModelAdmin):
    """Browsable only: declaring one goes through the v1 API, whose service refuses cycles."""

    list_display = ["project", "depends_on", "version", "created_at"]
    list_filter = ["project__organization"]
    list_select_related = ["project__organization", "depends_on__organization"]
    search_fields = ["project__name", "depends_on__name"]
    readonly_fields = ["project", "depends_on", "version", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


@admin.register(OrganizationGroup)
class OrganizationGroupAdmin(admin.ModelAdmin):
    """Which organization's admins manage a group's members and service tokens through the API."""

    list_display = ["group", "organization", "created_at"]
    list_select_related = ["group", "organization"]
    search_fields = ["group__name", "organization__name"]
    autocomplete_fields = ["organization", "group"]


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
    fields = ["user", "group", "name", "prefix", "read_only", "expires_at", "created_at", "last_used_at", "revoked_at"]
    # A token is what it was issued as: moving it to another user or widening it is not an edit, and
    # revoking goes through the action (and its service).
    readonly_fields = fields
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
