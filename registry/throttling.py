"""Rate limits backed by the cache (Redis in production), one bucket per token or per client address.

A fixed-window counter (one atomic ``incr`` per request) rather than DRF's default sliding log: that
one stores every request's timestamp in one cache value, read and rewritten whole on every request, so
its cost grows with the rate (tens of kilobytes per request for a busy CI token) and concurrent workers
overwrite each other's entries.

The read cache's middleware counts a known token's request in the same round trip as its own lookups
(:mod:`registry.api.read_cache`); it leaves the count on the request, and the throttle uses it instead
of counting again.
"""

import time

from rest_framework.throttling import SimpleRateThrottle

from registry import cache
from registry.authentication import request_token

# On the Django request: {bucket key: (time counted, count)} for counts taken before the view ran.
COUNTED_ATTRIBUTE = "_rate_counted"


class FixedWindowRateThrottle(SimpleRateThrottle):
    """At most ``num_requests`` per ``duration``-second window, counted with the cache's atomic incr."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        counted = getattr(getattr(request, "_request", request), COUNTED_ATTRIBUTE, {}).pop(self.key, None)
        if counted is not None:
            self.now, count = counted
        else:
            self.now = self.timer()
            count = self.count(self.key, self.now)
        self.window_ends = (int(self.now // self.duration) + 1) * self.duration
        return count <= self.num_requests

    def window_key(self, key: str, now: float) -> str:
        """The counter of ``key``'s bucket for the window ``now`` falls in."""
        return f"{key}:{int(now // self.duration)}"

    def count(self, key: str, now: float) -> int:
        """This window's count including this request; 0 when the cache cannot be reached.

        Rate limits fail open: a cache outage must not take the API down with it.
        """
        if cache.in_outage():
            return 0
        try:
            return cache.count(self.window_key(key, now), self.duration + 1)
        except cache.UNREACHABLE:
            cache.unreachable("rate limit not counted")
            return 0

    def wait(self):
        return max(1.0, self.window_ends - self.now)

    def timer(self):
        return time.time()


class TokenRateThrottle(FixedWindowRateThrottle):
    """Authenticated callers: one bucket per token (or per user for session logins)."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        token = request_token(request)
        return self.key_for_token(token.pk) if token else self._key(f"user-{request.user.pk}")

    def key_for_token(self, token_id: int) -> str:
        return self._key(f"token-{token_id}")

    def _key(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(FixedWindowRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
