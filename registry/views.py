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
