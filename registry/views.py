"""Plain Django views: the landing page, health, and error pages that answer API paths in their JSON envelope."""

import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from functools import wraps

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_safe
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error

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
    """The process is up and serving. Touches no database, broker or cache, so it stays green while they
    hang (readiness of those is ``/readyz``)."""
    return JsonResponse({"status": "ok"})


def api_aware_404(request, exception=None):
    if is_api_path(request.path):
        return json_error(request, "NOT_FOUND", f"No route matches {request.path}", 404)
    return page_not_found(request, exception)


def api_aware_400(request, exception=None):
    """What Django refuses before any view runs (a Host not in ALLOWED_HOSTS, a body or form over its
    limits): the envelope on the API's paths, Django's page elsewhere."""
    if not is_api_path(request.path):
        return bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        return json_error(request, "BAD_REQUEST", "The Host header names a host this server does not serve.", 400)
    if isinstance(exception, RequestDataTooBig):
        return json_error(request, "PAYLOAD_TOO_LARGE", "The request body is larger than this endpoint accepts.", 413)
    return json_error(request, "BAD_REQUEST", "The request could not be read.", 400)


def api_aware_403(request, exception=None):
    if is_api_path(request.path):
        return json_error(request, "FORBIDDEN", "You do not have permission to perform this action.", 403)
    return permission_denied(request, exception)


def api_aware_500(request):
    if is_api_path(request.path):
        return json_error(request, "INTERNAL_ERROR", "An unexpected error occurred. It has been logged.", 500)
    return server_error(request)


def _check_database() -> None:
    from django.db import connection

    # A fresh connection each time (this runs on a pool thread, which no request_finished ever tidies up):
    # connecting is what a hung or restarted server fails, and DATABASE_CONNECT_TIMEOUT bounds it.
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def _check_broker() -> str | None:
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return "not configured: tasks run in-process"
    from celery import current_app  # the project's app (config/celery.py), without importing the top layer

    # A connection of its own, not the pool's: one round trip (Redis: the channel's PING), bounded by the
    # broker's connect and socket timeouts (settings.CELERY_BROKER_TRANSPORT_OPTIONS).
    with current_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=settings.CELERY_BROKER_CONNECTION_TIMEOUT)
        connection.channel().close()
    return None


def _check_storage() -> None:
    from django.core.files.storage import storages

    # The artifacts storage alias (settings.STORAGES). exists() is a cheap round trip on every backend
    # (a stat locally, a HEAD on S3).
    storages["artifacts"].exists("readyz-probe")


READINESS_CHECKS = {"database": _check_database, "broker": _check_broker, "storage": _check_storage}
# Checks run side by side on these threads. One stuck past its own timeouts keeps its thread until they
# fire, and the next /readyz still answers by its deadline (reporting that check as "timeout").
_readiness_pool: ThreadPoolExecutor | None = None


def _readiness_threads() -> ThreadPoolExecutor:
    global _readiness_pool
    if _readiness_pool is None:
        _readiness_pool = ThreadPoolExecutor(max_workers=2 * len(READINESS_CHECKS), thread_name_prefix="readyz")
    return _readiness_pool


def _forget_readiness_threads_after_fork() -> None:
    global _readiness_pool
    _readiness_pool = None  # a forked worker has none of its parent's threads


os.register_at_fork(after_in_child=_forget_readiness_threads_after_fork)


def failure_reason(exc: BaseException) -> str:
    """A stable, address-free reason for a failed check: what an operator acts on, nothing a scanner can use.

    Exception texts name hosts, ports and paths (``connection to server at "10.0.0.5", port 5432 ...``), so
    only the kind of failure leaves the process; the full text goes to the log.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current).lower()
        if isinstance(current, (TimeoutError, FutureTimeout)) or "timeout" in text or "timed out" in text:
            return "timeout"
        if isinstance(current, ConnectionRefusedError) or "connection refused" in text:
            return "connection refused"
        if isinstance(current, socket.gaierror) or "name or service not known" in text or "resolve" in text:
            return "name not resolved"
        if isinstance(current, (ConnectionError, EOFError)) or "connection reset" in text or "closed" in text:
            return "connection lost"
        current = current.__cause__ or current.__context__
    return "unavailable"


def readyz(request):
    """Ready to serve: the database, the broker and artifact storage each answer. 503 if any does not.

    Answers within ``REGISTRY_READYZ_TIMEOUT_SECONDS``: the checks run concurrently, and one that has not
    answered by then is reported as ``timeout``. Failed checks name a reason, never an address.
    """
    deadline = settings.REGISTRY_READYZ_TIMEOUT_SECONDS
    pool = _readiness_threads()
    futures = {name: pool.submit(check) for name, check in READINESS_CHECKS.items()}
    wait(futures.values(), timeout=deadline)
    checks: dict[str, dict[str, str]] = {}
    for name, future in futures.items():
        if not future.done():
            future.cancel()  # still queued behind stuck checks: never run it late
            logger.warning("readiness check %s gave no answer within %s s", name, deadline)
            checks[name] = {"status": "fail", "error": "timeout"}
            continue
        exc = future.exception()
        if exc is not None:  # any failure of a dependency means "not ready", reported, not raised
            logger.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            checks[name] = {"status": "fail", "error": failure_reason(exc)}
        else:
            note = future.result()
            checks[name] = {"status": "ok", **({"note": note} if note else {})}
    ready = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse({"status": "ok" if ready else "fail", "checks": checks}, status=200 if ready else 503)
