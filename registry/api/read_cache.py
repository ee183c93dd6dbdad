"""A shared (Redis) cache of hot API reads, with ETags, that writes invalidate.

Hot reads (package detail, package list, version list) are cached per bearer token and per full URL
for ``REGISTRY_READ_CACHE_SECONDS`` (0 turns it off), as the bytes the client received. Each entry
records the two generation numbers it was made under, and is served only while both are current:

- the organization's, bumped by every successful write request under ``/api/v0/organizations/{org}``
  or ``/v1/organizations/{org}`` (publishes, edits, grants, deletes);
- a global one, bumped by every successful write anywhere else (organizations, the staff admin) and,
  on commit, by every service that changes access (``registry.memo.access_changed``: grants,
  membership, tokens, organizations, projects, package deletes). Per-process memos of tokens, grants
  and projects key on it too.

So a publish is visible to the next read. State that changes outside a request (indexing status,
replica health) may lag by at most the cache lifetime.

:class:`ReadCacheMiddleware` answers a repeated read before Django resolves the URL, in one round trip
to the cache that also reads the generations and counts the token's rate limit. What the full path
would decide is already settled for such a read: the entry was stored for the same token and URL, by a
request that passed authentication and the permission checks, under generations that every change to
tokens, users, grants, projects and packages bumps. Only what changes with time is checked again: the
token's expiry, its rate limit and its last-use record. A read that cannot be answered so goes the
full way, with the generations and the rate count already read.

Every cached read answers with an ``ETag`` and honours ``If-None-Match`` with 304; downloads (immutable
bytes) keep only their validators, so a matching ``If-None-Match`` is answered 304 the same way.
"""

import functools
import hashlib
import json
import re
import time
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from registry import cache as registry_cache
from registry.authentication import bearer_digest, known_token_id, request_token, use_recorded_recently
from registry.throttling import COUNTED_ATTRIBUTE, AnonymousRateThrottle, TokenRateThrottle

GLOBAL_GENERATION_KEY = "read-cache:generation"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
_API_PATH = re.compile(r"^/(?:api/v0|v1)/")
_ORG_PATH = re.compile(r"^/(?:api/v0|v1)/organizations/([^/]+)/.+")
# Never replayed on a 304: they describe a body it does not have.
_BODY_HEADERS = {"content-type", "content-length", "content-range", "content-disposition", "content-encoding"}
# On the Django request: what the view said may be stored, and for which token (see cached_read).
_STORABLE_ATTRIBUTE = "_read_cache_storable"
# The rate limits the fast path applies; a view with any other throttle is never answered from the cache.
_FAST_PATH_THROTTLES = {TokenRateThrottle, AnonymousRateThrottle}


def _organization_key(organization: str) -> str:
    return f"read-cache:generation:{organization.lower()}"


def invalidate(organization: str | None = None) -> None:
    """Make every cached read of ``organization`` (or, with None, every cached read) stale.

    It runs after a write has committed, so a cache that cannot be reached is logged, not raised: the
    write stands and is answered as such, and what the cache holds goes stale within its lifetime. It is
    tried even during an outage (:func:`registry.cache.in_outage`): a bump skipped while the cache is
    back would leave reads stale. With the read cache off nothing reads the generations.
    """
    if settings.REGISTRY_READ_CACHE_SECONDS <= 0:
        return
    key = _organization_key(organization) if organization else GLOBAL_GENERATION_KEY
    try:
        try:
            cache.incr(key)
        except ValueError:  # not there yet (or evicted): start where no earlier generation can have been
            cache.set(key, time.time_ns(), None)
    except registry_cache.UNREACHABLE:
        registry_cache.unreachable(f"the read-cache generation {key} not bumped; cached reads expire on their own")


def _organization_in_path(path: str) -> str:
    match = _ORG_PATH.match(path)
    return match.group(1).lower() if match else ""


def _generation_keys(organization: str) -> list[str]:
    return [GLOBAL_GENERATION_KEY] + ([_organization_key(organization)] if organization else [])


def _remember_generations(http_request, organization: str, values: dict | None) -> tuple[int, int] | None:
    """Keep the generations read in ``values`` on the request (None: the cache is unreachable, so the
    request does without); None when there are none to go by."""
    if values is None:
        found = None
    elif values.get(GLOBAL_GENERATION_KEY) is None:
        return None  # never seeded, or lost: generations() seeds it
    else:
        organization_generation = values.get(_organization_key(organization), 0) if organization else 0
        found = (values[GLOBAL_GENERATION_KEY], organization_generation)
    http_request._read_cache_generations = (organization, found)
    return found


def generations(request, organization: str | None = None) -> tuple[int, int] | None:
    """The (global, organization) generations for this request: one round trip, then kept on the request.

    ``organization`` defaults to the one in the path. Authentication, the memos and the read cache all
    need the numbers; the read cache's middleware usually has them already. None when the shared cache
    cannot be reached: then nothing cached or kept may be trusted, and the request does without.
    """
    http_request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    organization = _organization_in_path(http_request.path) if organization is None else organization.lower()
    memo = getattr(http_request, "_read_cache_generations", None)
    if memo is not None and memo[0] == organization:
        return memo[1]
    if registry_cache.in_outage():
        return _remember_generations(http_request, organization, None)
    keys = _generation_keys(organization)
    try:
        values = cache.get_many(keys)
        if values.get(GLOBAL_GENERATION_KEY) is None:
            # Never set, or lost (a flushed or evicted cache): start from a number no earlier generation
            # had, so nothing a process kept under an old one (registry.memo) can match again. A request
            # that loses the race to seed it uses its own number once: it only misses.
            values[GLOBAL_GENERATION_KEY] = time.time_ns()
            cache.add(GLOBAL_GENERATION_KEY, values[GLOBAL_GENERATION_KEY], None)
    except registry_cache.UNREACHABLE:
        registry_cache.unreachable("no cached reads, tokens or memos")
        return _remember_generations(http_request, organization, None)
    return _remember_generations(http_request, organization, values)


def memo_generation(request) -> int | None:
    """The generation this request's per-process memos are keyed by (see :mod:`registry.memo`).

    None with the read cache off, or unreachable: then nothing is kept between requests.
    """
    if settings.REGISTRY_READ_CACHE_SECONDS <= 0:
        return None
    found = generations(request)
    return found[0] if found is not None else None


def etag_matches(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` against an ETag, by weak comparison (RFC 9110 13.1.2)."""
    candidates = [item.strip().removeprefix("W/") for item in if_none_match.split(",")]
    return "*" in candidates or etag.removeprefix("W/") in candidates


def _etag_of(data) -> str:
    body = json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


def _mark_storable(view, request, *, body: bool) -> bool:
    """Let the middleware store this response for the request's bearer token (see the module docstring).

    Not for other callers, nor for a view rate-limited otherwise than the cache's fast path counts, nor
    for a body rendered other than as JSON (the browsable API's pages carry per-session content).
    """
    token = request_token(request)
    if (
        token is None
        or not {type(throttle) for throttle in view.get_throttles()} <= _FAST_PATH_THROTTLES
        or (body and not isinstance(getattr(request, "accepted_renderer", None), JSONRenderer))
    ):
        return False
    expires = token.expires_at.timestamp() if token.expires_at else None
    setattr(request._request, _STORABLE_ATTRIBUTE, (token.digest, expires, body))
    return True


def cached_read(view_method):
    """Decorate a view's ``get``: an ETag (and 304 for a matching ``If-None-Match``), and the read cache."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        response = view_method(self, request, *args, **kwargs)
        if (
            settings.REGISTRY_READ_CACHE_SECONDS <= 0
            or request.method != "GET"
            or response.status_code != 200
            or not isinstance(response, Response)
        ):
            return response
        etag = _etag_of(response.data)
        # A stored read answers If-None-Match in the middleware, once it has the body to keep.
        if not _mark_storable(self, request, body=True) and etag_matches(
            request.META.get("HTTP_IF_NONE_MATCH", ""), etag
        ):
            response = HttpResponseNotModified()
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"  # clients may keep it but must revalidate (cheap 304)
        return response

    return wrapper


def conditional_read(view_method):
    """Decorate a ``get`` whose ETag is stable while the URL means the same thing (immutable downloads):
    the read cache keeps its validators, so a matching ``If-None-Match`` is answered 304 from the cache."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        response = view_method(self, request, *args, **kwargs)
        if (
            settings.REGISTRY_READ_CACHE_SECONDS > 0
            and request.method == "GET"
            and response.status_code in (200, 206, 304)
            and response.has_header("ETag")
        ):
            _mark_storable(self, request, body=False)
        return response

    return wrapper


class CachedResponse(NamedTuple):
    """What the cache keeps of one read, and for whom and under which generations it was made."""

    generations: tuple[int, int]
    expires: float | None  # the token's expiry, as a timestamp
    etag: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None  # None: validators only (a download)


class _CachedRead:
    """One read's place in the cache: its key, and what the middleware read for it in one round trip."""

    def __init__(self, request, organization: str, digest: str):
        self.organization = organization
        self.digest = digest
        raw = "\n".join(
            (digest, request.scheme, request.META.get("HTTP_HOST", ""), request.META.get("HTTP_ACCEPT", ""))
        )
        self.key = "read-cache:" + hashlib.sha256(f"{raw}\n{request.get_full_path()}".encode()).hexdigest()

    @classmethod
    def of(cls, request) -> "_CachedRead | None":
        """The cached read a request may be, or None: only GETs under an organization, with a bearer token."""
        if request.method != "GET" or settings.REGISTRY_READ_CACHE_SECONDS <= 0:
            return None
        organization = _organization_in_path(request.path)
        digest = bearer_digest(request) if organization else None
        return cls(request, organization, digest) if digest else None

    def answer(self, request) -> HttpResponse | None:
        """The response from the cache, or None to go the full way (with what was read kept on the request)."""
        token_id = known_token_id(self.digest)
        if token_id is None:
            return None  # this process has not seen the token yet: authentication will look it up
        values, within_rate = _read_ahead(request, self.organization, token_id, self.key)
        if not within_rate:
            return None  # the full way answers 429 in the surface's error shape
        entry = values.get(self.key)
        memo = getattr(request, "_read_cache_generations", None)
        if (
            entry is None
            or memo is None
            or entry.generations != memo[1]
            or (entry.expires is not None and entry.expires <= time.time())
            or not use_recorded_recently(self.digest)
        ):
            return None
        return _from_entry(request, entry)

    def store(self, request, response) -> HttpResponse:
        """Keep a response the view marked storable, under the generations the request started with.

        Returns what to send: the response, or 304 when it is what the client already has.
        """
        storable = getattr(request, _STORABLE_ATTRIBUTE, None)
        memo = getattr(request, "_read_cache_generations", None)
        if storable is None or memo is None or memo[0] != self.organization or memo[1] is None:
            return response
        digest, expires, with_body = storable
        if digest != self.digest:
            return response  # authenticated by something other than the header the key was made from
        if with_body:
            if (
                response.status_code != 200
                or response.streaming
                or not response.get("Content-Type", "").startswith("application/json")
            ):
                return response
            body = response.content
        else:
            body = None
        entry = CachedResponse(memo[1], expires, response["ETag"], tuple(response.items()), body)
        try:
            cache.set(self.key, entry, settings.REGISTRY_READ_CACHE_SECONDS)
        except registry_cache.UNREACHABLE:
            registry_cache.unreachable("read not kept")
            return response
        return _from_entry(request, entry) if with_body else response


def _from_entry(request, entry: CachedResponse) -> HttpResponse | None:
    """A cached read as the client needs it: 304 if it has the ETag, else the body (None if not kept)."""
    if etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), entry.etag):
        response = HttpResponseNotModified()
        for name, value in entry.headers:
            if name.lower() not in _BODY_HEADERS:
                response[name] = value
        return response
    if entry.body is None:
        return None  # validators only (a download): the bytes come the full way
    return HttpResponse(entry.body, headers=dict(entry.headers))


def _read_ahead(request, organization: str, token_id: int, *keys: str) -> tuple[dict, bool]:
    """What the request will ask the cache first, in one round trip: the generations (kept on the request),
    ``keys``, and the token's rate-limit count (counted once: left on the request for the throttle, and
    given back by the middleware if no throttle used it).

    Returns the values found for ``keys`` and whether the request is within the rate limit; nothing
    found, and within it, when the cache cannot be reached (the full way then does without it).
    """
    if registry_cache.in_outage():
        _remember_generations(request, organization, None)
        return {}, True
    throttle = TokenRateThrottle()
    counted = throttle.rate is not None
    now = throttle.timer()
    bucket = throttle.key_for_token(token_id)
    try:
        values, count = registry_cache.get_many_and_count(
            [*_generation_keys(organization), *keys],
            throttle.window_key(bucket, now) if counted else None,
            throttle.duration + 1 if counted else 0,
        )
    except registry_cache.UNREACHABLE:
        registry_cache.unreachable("no cached reads, tokens or memos; rate limits not counted")
        _remember_generations(request, organization, None)
        return {}, True
    _remember_generations(request, organization, values)
    if not counted:
        return values, True
    setattr(request, COUNTED_ATTRIBUTE, {bucket: (now, count)})
    return values, count <= throttle.num_requests


def _give_back_unused_count(request) -> None:
    """A count taken ahead that no throttle used (a 404 route, a refused token, a 406): not a request the
    rate limit would have counted, so it is taken back."""
    for bucket, (now, _) in getattr(request, COUNTED_ATTRIBUTE, {}).items():
        if registry_cache.in_outage():
            return
        throttle = TokenRateThrottle()
        try:
            registry_cache.uncount(throttle.window_key(bucket, now))
        except registry_cache.UNREACHABLE:
            registry_cache.unreachable("an unused rate count not given back")


class ReadCacheMiddleware:
    """Answer repeated hot reads from the cache, keep new ones, and make them stale after each write.

    Any other API request with a token this process knows gets its generations and rate count read
    ahead in one round trip too (authentication and the throttle would ask for them one by one).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cached = _CachedRead.of(request)
        if cached is not None:
            response = cached.answer(request)
            if response is not None:
                return response  # counted against the rate limit, as the full way would have
            response = cached.store(request, self.get_response(request))
        else:
            self._read_ahead_for_api(request)
            response = self.get_response(request)
            if request.method not in SAFE_METHODS and response.status_code < 400:
                invalidate(_organization_in_path(request.path) or None)
        _give_back_unused_count(request)
        return response

    @staticmethod
    def _read_ahead_for_api(request) -> None:
        if settings.REGISTRY_READ_CACHE_SECONDS <= 0 or not _API_PATH.match(request.path):
            return
        digest = bearer_digest(request)
        token_id = known_token_id(digest) if digest else None
        if token_id is not None:
            _read_ahead(request, _organization_in_path(request.path), token_id)
