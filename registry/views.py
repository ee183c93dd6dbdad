"""Plain Django views: health, and error pages that answer API paths in their JSON envelope."""

import logging

from django.http import JsonResponse
from django.views.defaults import page_not_found, server_error

from registry.api.envelopes import is_api_path
from registry.api.exceptions import json_error

logger = logging.getLogger("registry.api")


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
    from config.celery import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
    return None


def _check_storage() -> None:
    from packages_app.models import artifact_storage

    # exists() is a cheap round trip on every backend (a stat locally, a HEAD on S3).
    artifact_storage().exists("readyz-probe")


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
