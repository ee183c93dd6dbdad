"""Admin plumbing shared by the console's apps: badges, a project filter, confirmation for destructive actions."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.utils.html import format_html

from registry import hooks
from registry.errors import RegistryError

BADGE_CLASSES = {
    "indexed": "ok",
    "unarchive": "ok",
    "published": "ok",
    "indexing": "busy",
    "unknown": "idle",
    "draft": "idle",
    "modified": "busy",
    "failed": "bad",
    "archive": "muted",
    "deleted": "muted",
}


def badge(value: str, label: str):
    return format_html(
        '<span class="badge badge-{}" data-status="{}">{}</span>', BADGE_CLASSES.get(value, "idle"), value, label
    )


def project_filter(field_path: str) -> type[admin.SimpleListFilter]:
    """A filter on the projects that have rows here, named ``org/project`` without a query per project."""

    class ProjectFilter(admin.SimpleListFilter):
        title = "project"
        parameter_name = f"{field_path}__id"

        def lookups(self, request, model_admin):
            from registry.models import Project

            used = model_admin.model._default_manager.values(field_path)
            projects = Project.objects.filter(pk__in=used).select_related("organization")
            return [(project.pk, str(project)) for project in projects.order_by("organization__name", "name")]

        def queryset(self, request, queryset):
            value = self.value()
            if value and value.isdigit():
                return queryset.filter(**{field_path: int(value)})
            return queryset

    return ProjectFilter


def confirm_then(
    model_admin,
    request,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    warning: str,
    run: Callable[[object], object],
    done: str,
):
    """Show a confirmation page listing the selected objects; on confirmation run ``run`` on each one.

    A ``RegistryError`` from the service is reported for its object and the others still run.
    """
    if request.POST.get("post") != "yes":
        return TemplateResponse(
            request,
            "admin/confirm_action.html",
            {
                **model_admin.admin_site.each_context(request),
                "title": title,
                "subtitle": None,
                "opts": model_admin.model._meta,
                "objects": list(queryset),
                "action": action,
                "warning": warning,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
    run_each(model_admin, request, queryset, run=run, done=done)
    return None


def run_each(model_admin, request, queryset: QuerySet, *, run: Callable[[object], object], done: str) -> None:
    succeeded = 0
    for obj in queryset:
        try:
            run(obj)
        except RegistryError as error:
            model_admin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        model_admin.message_user(request, done.format(count=succeeded), messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the API's services (publishing, indexing, uploads): browsable, never typed in,
    edited or deleted one by one (a deleted used version number would let a number be published again
    with other bytes; a deleted snapshot would change a published version)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeletedThroughServiceMixin:
    """A ModelAdmin whose deletes go through the model's delete service (``delete_with_service``).

    The confirmation page then asks the service's question. Permissions: see ``deleted_by_service``.
    Protection: Django's collector calls every dependency and lock row pointing at a deleted package
    "protected", even when it belongs to a version deleted in the same go (the service drops those
    first); only what ``delete_blockers`` names (versions elsewhere that depend on what goes) really
    stops the delete.
    """

    def delete_with_service(self, obj) -> None:
        raise NotImplementedError

    def delete_blockers(self, objs) -> list[str]:
        """Why deleting ``objs`` would be refused, one line each; none by default."""
        return []

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, _ = super().get_deleted_objects(objs, request)
        return deleted, counts, deleted_by_service(perms_needed), self.delete_blockers(objs)

    def delete_model(self, request, obj):
        self.delete_with_service(obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_with_service(obj)


def deleted_by_service(perms_needed: set[str]) -> set[str]:
    """``perms_needed`` without the rows a delete service removes with their owner.

    Versions, used version numbers, dependencies, locks, index entries, artifacts, replicas and
    component snapshots have no delete permission of their own (they are immutable one by one), but a
    package, project or organization deleted through its service takes them along. The admin's
    confirmation page must not count them as missing permissions, or nothing holding a version could
    ever be deleted. The apps that own such rows name them in ``registry.hooks``.
    """
    return perms_needed - {str(model._meta.verbose_name) for model in hooks.models_deleted_with_their_owner}
