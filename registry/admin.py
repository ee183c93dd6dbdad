from django.contrib import admin, messages

from registry.models import ApiToken, Grant, Organization, Project, ProjectDependency
from registry.tokens import revoke_token


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "created_at", "updated_at"]
    search_fields = ["name", "display_name", "description"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "created_at", "updated_at"]
    list_filter = ["organization"]
    list_select_related = ["organization"]
    search_fields = ["name", "organization__name", "description"]
    autocomplete_fields = ["organization"]
    readonly_fields = ["created_at", "updated_at"]


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

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            revoke_token(token=token)
        self.message_user(request, f"Revoked {queryset.count()} token(s).", messages.SUCCESS)
