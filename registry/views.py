"""Plain Django views: the landing page, health, and error pages that answer API paths in their JSON envelope."""

import logging
from functools import wraps

from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe
from django.views.defaults import page_not_found, server_error

from registry.api.envelopes import is_api_path
from registry.api.exceptions import json_error

logger = logging.getLogger("registry.api")


# The landing page and the API docs load everything from this registry. The policy makes the browser hold
# them to it: Redoc's bundle, for one, always asks a CDN for a logo; here that request is never made.
SAME_ORIGIN_ONLY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",  # the docs' inline set-up scripts
        "style-src 'self' 'unsafe-inline'",  # styles the pages and Redoc's components put inline
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",  # Redoc's search runs in a worker made from a blob
        "connect-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)


def same_origin_only(view):
    """Send ``view``'s pages with a Content-Security-Policy that allows nothing from other hosts."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Content-Security-Policy", SAME_ORIGIN_ONLY)
        return response

    return wrapped


@same_origin_only
@require_safe
def landing(request):
    """What the registry is, and the way to its staff console, API docs, API roots and health checks."""
    return render(request, "registry/landing.html")


@require_safe
def favicon(request):
    """Browsers ask for ``/favicon.ico`` whatever the page says; send them to the icon the pages name."""
    return HttpResponseRedirect(static("registry/favicon.svg"))


def healthz(request):
    """The process is up. (Readiness of the database, broker and storage is ``/readyz``.)"""
    return JsonResponse({"status": "ok"})


def api_aware_404(request, exception=None):
    if is_api_path(request.path):
        return json_error(request, "NOT_FOUND", f"No route matches {request.path}", 404)
    return page_not_found(request, exception)


def api_aware_500(request):
    if is_api_path(request.path):
        return json_error(request, "INTERNAL_ERROR", "An unexpected error occurred. It has been logged.", 500)
    return server_error(request)


def _check_database() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_broker() -> str | None:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return "not configured: tasks run in-process"
    from celery import current_app  # the project's app (config/celery.py), without importing the top layer

    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
    return None


def _check_storage() -> None:
    from django.core.files.storage import storages

    # The artifacts storage alias (settings.STORAGES). exists() is a cheap round trip on every backend
    # (a stat locally, a HEAD on S3).
    storages["artifacts"].exists("readyz-probe")


def readyz(request):
    """Ready to serve: the database, the broker and artifact storage each answer. 503 if any does not."""
    checks: dict[str, dict[str, str]] = {}
    for name, check in (("database", _check_database), ("broker", _check_broker), ("storage", _check_storage)):
        try:
            note = check()
        except Exception as exc:  # any failure of a dependency means "not ready", reported, not raised
            logger.warning("readiness check %s failed: %s", name, exc)
            checks[name] = {"status": "fail", "error": f"{type(exc).__name__}: {exc}"}
        else:
            checks[name] = {"status": "ok", **({"note": note} if note else {})}
    ready = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse({"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503)
