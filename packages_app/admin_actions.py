"""Admin plumbing shared by the console's apps: badges, a project filter, confirmation for destructive actions."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.utils.html import format_html

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
