"""A shared (Redis) cache of hot API reads, with ETags, that writes invalidate.

Hot reads (package detail, package list, version list) are cached per caller, per organization and per
full path for ``REGISTRY_READ_CACHE_SECONDS`` (0 turns it off). Each key carries two generation numbers:
the organization's, bumped by every successful write request under ``/api/v0/organizations/{org}`` or
``/v1/organizations/{org}`` (publishes, edits, grants, deletes), and a global one bumped by every
successful write anywhere else (organizations, the staff admin) and, on commit, by every service that
changes access (``registry.memo.access_changed``; per-process memos of grants and projects key on it). A bump makes every older key
unreachable at once, so a publish is visible to the next read. State that changes outside a request
(indexing status, replica health) may lag by at most the cache lifetime.

Authentication, permission checks and throttling still run on every request: only the lookup and
serialization are skipped. Every cached read answers with an ``ETag`` and honours ``If-None-Match``
with 304; downloads (immutable bytes) answer a matching ``If-None-Match`` from the cache alone.
"""

import functools
import hashlib
import json
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from registry.authentication import is_read_only

logger = logging.getLogger(__name__)

GLOBAL_GENERATION_KEY = "read-cache:generation"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
_ORG_PATH = re.compile(r"^/(?:api/v0|v1)/organizations/([^/]+)/.+")
KEPT_HEADERS = ("X-Total-Count", "Link")


def _organization_key(organization: str) -> str:
    return f"read-cache:generation:{organization.lower()}"


def invalidate(organization: str | None = None) -> None:
    """Make every cached read of ``organization`` (or, with None, every cached read) stale.

    It runs after a write has committed, so a cache that cannot be reached is logged, not raised: the
    write stands and is answered as such, and what the cache holds goes stale within its lifetime.
    """
    key = _organization_key(organization) if organization else GLOBAL_GENERATION_KEY
    try:
        try:
            cache.incr(key)
        except ValueError:  # not there yet (or evicted): start where no earlier generation can have been
            cache.set(key, time.time_ns(), None)
    except Exception:
        logger.warning(
            "could not bump the read-cache generation %s; cached reads expire on their own", key, exc_info=True
        )


def generations(request, organization: str | None = None) -> tuple[int, int]:
    """The (global, organization) generations for this request: one round trip, then kept on the request.

    ``organization`` defaults to the one in the path. Authentication and the read cache both need the
    numbers; reading them once saves a round trip on every cached read.
    """
    http_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    if organization is None:
        match = _ORG_PATH.match(http_request.path)
        organization = match.group(1) if match else ""
    memo = getattr(http_request, "_read_cache_generations", None)
    if memo is not None and memo[0] == organization.lower():
        return memo[1]
    keys = [GLOBAL_GENERATION_KEY] + ([_organization_key(organization)] if organization else [])
    values = cache.get_many(keys)
    global_generation = values.get(GLOBAL_GENERATION_KEY)
    if global_generation is None:
        # Never set, or lost (a flushed or evicted cache): start from a number no earlier generation had,
        # so nothing a process kept under an old one (registry.memo) can match again. A request that
        # loses the race to seed it uses its own number once: it only misses.
        global_generation = time.time_ns()
        cache.add(GLOBAL_GENERATION_KEY, global_generation, None)
    found = (global_generation, values.get(keys[-1], 0) if organization else 0)
    http_request._read_cache_generations = (organization.lower(), found)
    return found


def memo_generation(request) -> int | None:
    """The generation this request's per-process memos are keyed by (see :mod:`registry.memo`).

    None with the read cache off: then nothing is kept between requests.
    """
    if settings.REGISTRY_READ_CACHE_SECONDS <= 0:
        return None
    return generations(request)[0]


def _cache_key(request, organization: str) -> str:
    global_generation, organization_generation = generations(request, organization)
    caller = f"{request.user.pk}:{int(is_read_only(request))}"
    accept = request.META.get("HTTP_ACCEPT", "")
    raw = f"{global_generation}:{organization_generation}:{caller}:{accept}:{request.get_full_path()}"
    return "read-cache:" + hashlib.sha256(raw.encode()).hexdigest()


def _etag_of(data) -> str:
    body = json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def _render(self, request, data):
    """JSON bytes when the client negotiated JSON (cached as such: no re-rendering on a hit), else None."""
    renderer = getattr(request, "accepted_renderer", None)
    if not isinstance(renderer, JSONRenderer):
        return None
    return renderer.render(data, request.accepted_media_type, self.get_renderer_context())


def _answer(request, data, headers: dict[str, str], etag: str, body: bytes | None):
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH", "")
    if etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*":
        response = HttpResponseNotModified()
    elif body is not None:
        response = HttpResponse(body, content_type="application/json", headers=headers)
    else:
        response = Response(data, headers=headers)
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"  # clients may keep it but must revalidate (cheap 304)
    return response


def cached_read(view_method):
    """Decorate a view's ``get``: serve it from the read cache, with an ETag, keyed by caller and path."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        organization = kwargs.get("org") or kwargs.get("organizationId")
        lifetime = settings.REGISTRY_READ_CACHE_SECONDS
        if not organization or lifetime <= 0 or request.method != "GET":
            return view_method(self, request, *args, **kwargs)
        key = _cache_key(request, organization)
        hit = cache.get(key)
        if hit is not None:
            data, headers, etag, body = hit
            return _answer(request, data, headers, etag, body)
        response = view_method(self, request, *args, **kwargs)
        if response.status_code != 200 or not isinstance(response, Response):
            return response
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        etag = _etag_of(response.data)
        body = _render(self, request, response.data)
        # Rendered JSON is all a JSON client needs; other renderers (the browsable API) get the data.
        cache.set(key, (None if body is not None else response.data, headers, etag, body), lifetime)
        return _answer(request, response.data, headers, etag, body)

    return wrapper


CONDITIONAL_HEADERS = ("ETag", "Cache-Control", "X-Checksum-Sha256", "X-Checksum-Md5", "Repr-Digest", "Digest")


def conditional_read(view_method):
    """Decorate a ``get`` whose ETag is stable while the path means the same thing (immutable downloads):
    an ``If-None-Match`` that matches the ETag this caller last received is answered 304 from the cache."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        organization = kwargs.get("org") or kwargs.get("organizationId")
        lifetime = settings.REGISTRY_READ_CACHE_SECONDS
        if not organization or lifetime <= 0 or request.method != "GET":
            return view_method(self, request, *args, **kwargs)
        key = _cache_key(request, organization) + ":etag"
        if_none_match = request.META.get("HTTP_IF_NONE_MATCH", "")
        if if_none_match:
            known = cache.get(key)
            if known and known["ETag"] in [tag.strip() for tag in if_none_match.split(",")]:
                response = HttpResponseNotModified()
                for name, value in known.items():
                    response[name] = value
                return response
        response = view_method(self, request, *args, **kwargs)
        if response.status_code in (200, 206, 304) and response.has_header("ETag"):
            cache.set(
                key, {name: response[name] for name in CONDITIONAL_HEADERS if response.has_header(name)}, lifetime
            )
        return response

    return wrapper


class ReadCacheInvalidationMiddleware:
    """After a successful write request, bump the generation of what it may have changed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            match = _ORG_PATH.match(request.path)
            invalidate(match.group(1) if match else None)
        return response
