"""The staff console for organizations, projects, grants and tokens."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.html import format_html

from registry import hooks
from registry.admin_actions import DeletedThroughServiceMixin, badge, confirm_then
from registry.admin_forms import GrantAdminForm, IssueTokenForm
from registry.errors import RegistryError
from registry.models import (
    ApiToken,
    Grant,
    GroupMembership,
    Organization,
    OrganizationGroup,
    PermissionRequest,
    Project,
)
from registry.services import (
    Changes,
    create_organization,
    create_project,
    delete_organization,
    delete_project,
    update_organization,
    update_permission,
    update_project,
)
from registry.tokens import revoke_token


def adopt(obj, saved) -> None:
    """Make the admin's form instance stand for the row a service saved (the admin logs and redirects with it)."""
    obj.pk = saved.pk
    obj._state.adding = False


@admin.register(Organization)
class OrganizationAdmin(DeletedThroughServiceMixin, admin.ModelAdmin):
    def delete_blockers(self, objs):
        return hooks.what_blocks_deleting_projects(Project.objects.filter(organization__in=objs))

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
    def delete_blockers(self, objs):
        return hooks.what_blocks_deleting_projects(Project.objects.filter(pk__in=[obj.pk for obj in objs]))

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


class GrantScopeFilter(admin.SimpleListFilter):
    title = "scope"
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("organization", "an organization"), ("project", "a project")]

    def queryset(self, request, queryset):
        if self.value() in ("organization", "project"):
            return queryset.filter(**{f"{self.value()}__isnull": False})
        return queryset


class GrantPrincipalFilter(admin.SimpleListFilter):
    title = "given to"
    parameter_name = "to"

    def lookups(self, request, model_admin):
        return [("user", "a user"), ("group", "a group")]

    def queryset(self, request, queryset):
        if self.value() in ("user", "group"):
            return queryset.filter(**{f"{self.value()}__isnull": False})
        return queryset


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    """Grants on organizations and projects; ``PackageGrantAdmin`` (packages app) shows a package's."""

    form = GrantAdminForm  # a duplicate or misshapen grant is explained in words, not by constraint name
    # One column for who and one for where: the nullable foreign keys made the list too wide to read.
    list_display = ["principal", "role", "scope", "created_at"]
    list_display_links = ["principal"]
    list_filter = ["role", GrantScopeFilter, GrantPrincipalFilter]
    list_select_related = ["organization", "project__organization", "user", "group"]
    search_fields = ["user__username", "user__email", "group__name", "organization__name", "project__name"]
    autocomplete_fields = ["organization", "project", "user", "group"]
    fieldsets = [
        ("Where", {"fields": ["organization", "project"]}),
        ("Who", {"fields": ["user", "group"]}),
        (None, {"fields": ["role"]}),
    ]

    @admin.display(description="user or group", ordering="user__email")
    def principal(self, obj):
        return obj.user_group_id

    @admin.display(description="on")
    def scope(self, obj):
        kind = next(name for name in self.form.scope_fields if getattr(obj, f"{name}_id") is not None)
        return format_html('<span class="quiet">{}</span> {}', kind, obj.scope)


@admin.register(OrganizationGroup)
class OrganizationGroupAdmin(admin.ModelAdmin):
    """Which organization's admins manage a group's members and service tokens through the API."""

    list_display = ["group", "organization", "description", "created_at"]
    list_select_related = ["group", "organization"]
    search_fields = ["group__name", "organization__name"]
    autocomplete_fields = ["organization", "group"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "owner", "read_only", "state", "created_at", "last_used_at"]
    list_filter = ["read_only", ("revoked_at", admin.EmptyFieldListFilter), ("group", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "group"]
    search_fields = ["name", "prefix", "user__username", "user__email", "group__name"]
    fields = ["user", "group", "name", "prefix", "read_only", "expires_at", "created_at", "last_used_at", "revoked_at"]
    # A token is what it was issued as: moving it to another user or widening it is not an edit, and
    # revoking goes through the action (and its service).
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description="user or group", ordering="user__username")
    def owner(self, obj):
        return f"group:{obj.group.name}" if obj.group_id else obj.user.get_username()

    @admin.display(description="state", ordering="revoked_at")
    def state(self, obj):
        if obj.revoked_at is not None:
            return badge("deleted", f"Revoked {obj.revoked_at:%Y-%m-%d}")
        if obj.is_expired:
            return badge("failed", f"Expired {obj.expires_at:%Y-%m-%d}")
        if obj.expires_at is not None:
            return badge("indexed", f"Active until {obj.expires_at:%Y-%m-%d}")
        return badge("indexed", "Active")

    def add_view(self, request, form_url="", extra_context=None):
        """Issue a token through the token services and show its secret once, on this response only.

        The secret is never stored (only its digest is) nor put in a session, message or redirect: the
        page that shows it is the answer to the POST, marked not to be cached. Reloading it re-posts
        the form, which the service refuses (the name is taken), so the secret cannot be shown again.
        """
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueTokenForm(request.POST or None)
        user_field = form.fields["user"]
        user_field.widget = AutocompleteSelect(ApiToken._meta.get_field("user"), self.admin_site)
        user_field.widget.choices = user_field.choices  # what the field gives a widget it was built with
        if request.method == "POST" and form.is_valid():
            issued = form.issue(issuer=request.user)
            if issued is not None:
                token, secret = issued
                self.log_addition(request, token, [{"added": {}}])
                response = TemplateResponse(
                    request,
                    "admin/registry/apitoken/issued.html",
                    {**self._page_context(request, title="API token issued"), "token": token, "secret": secret},
                )
                response["Cache-Control"] = "no-store"
                return response
        adminform = helpers.AdminForm(
            form,
            [(None, {"fields": ["user", "group", "name", "read_only", "expires_at"]})],
            {},
            model_admin=self,
        )
        return TemplateResponse(
            request,
            "admin/registry/apitoken/add.html",
            {
                **self._page_context(request, title="Add API token"),
                "adminform": adminform,
                "errors": helpers.AdminErrorList(form, []),
                "media": self.media + adminform.media,
            },
        )

    def _page_context(self, request, *, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "subtitle": None,
            "has_view_permission": self.has_view_permission(request),
        }

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


@admin.register(GroupMembership)
class GroupMembershipAdmin(admin.ModelAdmin):
    """Members' statuses in groups: ``admin`` members manage their group through the API."""

    list_display = ["group", "member", "status", "created_at", "updated_at"]
    list_filter = ["status"]
    list_select_related = ["group", "user", "member_group"]
    search_fields = ["group__name", "user__username", "user__email", "member_group__name"]
    autocomplete_fields = ["group", "user", "member_group"]
    readonly_fields = ["created_at", "updated_at"]

    @admin.display(description="member")
    def member(self, obj):
        return obj.user_group_id


@admin.register(PermissionRequest)
class PermissionRequestAdmin(admin.ModelAdmin):
    """Requests for a role (``requestPermission=true``) on organizations and projects; granted or refused
    here or by the API's PATCH. ``PackagePermissionRequestAdmin`` (packages app) shows a package's."""

    list_display = ["requester", "role", "scope_label", "state", "message", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "role"]
    list_select_related = ["user", "organization", "project__organization", "decided_by"]
    search_fields = ["user__username", "user__email", "message", "organization__name", "project__name"]
    fields = [
        "user",
        "role",
        "organization",
        "project",
        "message",
        "status",
        "decided_by",
        "decided_at",
        "created_at",
        "updated_at",
    ]
    # A request is what its requester asked; deciding it goes through the actions (and their service).
    readonly_fields = fields
    actions = ["grant_requests", "refuse_requests"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="requester", ordering="user__username")
    def requester(self, obj):
        return obj.user_group_id

    @admin.display(description="on")
    def scope_label(self, obj):
        return str(obj.scope)

    @admin.display(description="status", ordering="status")
    def state(self, obj):
        return badge({"pending": "indexing", "granted": "indexed", "refused": "deleted"}[obj.status], obj.status)

    def _decide(self, request, queryset, *, refuse: bool) -> None:
        done = 0
        for pending in queryset.pending().select_related(*self.list_select_related):
            try:
                update_permission(
                    scope=pending.scope, user_group_id=pending.user_group_id, actor=request.user, refuse=refuse
                )
                done += 1
            except RegistryError as exc:
                self.message_user(request, f"{pending}: {exc.message}", messages.ERROR)
        verb = "Refused" if refuse else "Granted"
        self.message_user(request, f"{verb} {done} request(s); requests already decided were left as they are.")

    @admin.action(description="Grant selected requests (the role asked for)", permissions=["change"])
    def grant_requests(self, request, queryset):
        self._decide(request, queryset, refuse=False)

    @admin.action(description="Refuse selected requests", permissions=["change"])
    def refuse_requests(self, request, queryset):
        self._decide(request, queryset, refuse=True)
