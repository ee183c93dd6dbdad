"""``Authorization: Bearer <token>`` authentication for both API surfaces."""

import contextlib
import pickle
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework import authentication, exceptions

from registry import cache as shared_cache
from registry.models import ApiToken


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None  # another scheme (Basic, Session...) is not ours to judge
        secret = _well_formed(secret)
        if secret is None:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        token = self._lookup(request, ApiToken.digest_of(secret))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        self._record_use(token)
        return token.user, token

    @staticmethod
    def _lookup(request, digest: str) -> ApiToken | None:
        """The token row, from the shared cache when the read cache is on (no SQL).

        The key carries the global read-cache generation, which every staff-admin write (revoking a
        token, deactivating a user) and ``revoke_token`` bump, so those take effect on the next request;
        expiry is checked on every request from the token itself. Each process also keeps the cached
        bytes it last read, under the same generation, so a token used again costs no round trip.
        """
        lifetime = settings.REGISTRY_READ_CACHE_SECONDS
        if lifetime <= 0:
            return _token_from_database(digest)
        from registry.api.read_cache import generations

        found = generations(request)
        if found is None:  # the shared cache is unreachable: ask the database
            return _token_from_database(digest)
        generation = found[0]
        kept = _tokens_here.get(digest)
        if kept is not None and kept[0] == generation and kept[1] > time.monotonic():
            return pickle.loads(kept[2])  # a fresh object per request: nothing is shared between threads
        key = f"auth-token:{generation}:{digest}"
        try:
            token = cache.get(key)
        except shared_cache.UNREACHABLE:
            shared_cache.unreachable("token looked up in the database")
            token = None
        if token is None:
            token = _token_from_database(digest)
            if token is None:
                return None
            with contextlib.suppress(*shared_cache.UNREACHABLE):
                cache.set(key, token, lifetime)
        if len(_tokens_here) >= TOKENS_KEPT:
            _tokens_here.clear()
        _tokens_here[digest] = (generation, time.monotonic() + lifetime, pickle.dumps(token), token.pk)
        return token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'

    @staticmethod
    def _record_use(token: ApiToken) -> None:
        # Write last use at most once per resolution window: reads should not each cost a write.
        now = timezone.now()
        window = timedelta(seconds=settings.REGISTRY_TOKEN_LAST_USED_RESOLUTION)
        if len(_recorded_here) >= TOKENS_KEPT:
            _recorded_here.clear()  # as for _tokens_here: crude and rare, and it only costs a marker check
        if token.last_used_at is not None and token.last_used_at > _recorded_here.get(token.digest, EPOCH):
            _recorded_here[token.digest] = token.last_used_at  # recorded by another process: known here too
        if token.last_used_at is None or now - token.last_used_at >= window:
            # A cached token row keeps an old last_used_at: this process remembers its own last write,
            # and across processes one request per window wins the shared marker and writes it.
            if now - _recorded_here.get(token.digest, EPOCH) < window:
                return
            _recorded_here[token.digest] = now
            if settings.REGISTRY_READ_CACHE_SECONDS > 0 and not _first_to_record(token, window):
                return
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now


def _token_from_database(digest: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(digest=digest).first()


def _first_to_record(token: ApiToken, window: timedelta) -> bool:
    """Whether this request wins the window's marker across workers (it does when the cache is down)."""
    if shared_cache.in_outage():
        return True
    try:
        return cache.add(f"auth-token-used:{token.pk}", 1, int(window.total_seconds()) or 1)
    except shared_cache.UNREACHABLE:
        shared_cache.unreachable("last use written without the cross-worker marker")
        return True


# token digest -> the latest recorded use this process knows of (saves a cache round trip per request)
_recorded_here: dict[str, datetime] = {}
# token digest -> (global generation, monotonic expiry, pickled token row with its user, token id)
_tokens_here: dict[str, tuple[int, float, bytes, int]] = {}
TOKENS_KEPT = 10_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _well_formed(secret: str) -> str | None:
    secret = secret.strip()
    return secret if secret and " " not in secret else None


def bearer_digest(request) -> str | None:
    """The digest of the request's well-formed ``Bearer`` token, if it sent one; nothing is checked."""
    scheme, _, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != BearerTokenAuthentication.keyword.lower():
        return None
    secret = _well_formed(secret)
    return ApiToken.digest_of(secret) if secret is not None else None


def known_token_id(digest: str) -> int | None:
    """The id of the token with ``digest`` if this process has authenticated it before (ids never change)."""
    kept = _tokens_here.get(digest)
    return kept[3] if kept is not None else None


def use_recorded_recently(digest: str) -> bool:
    """Whether the token's last use is recorded within the resolution window, so this use needs no write."""
    window = timedelta(seconds=settings.REGISTRY_TOKEN_LAST_USED_RESOLUTION)
    return timezone.now() - _recorded_here.get(digest, EPOCH) < window


def request_token(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def is_read_only(request) -> bool:
    token = request_token(request)
    return bool(token and token.read_only)
