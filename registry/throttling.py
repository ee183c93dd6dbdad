"""Rate limits backed by the cache (Redis in production), one bucket per token or per client address.

A fixed-window counter (one atomic ``incr`` per request) rather than DRF's default sliding log: that
one stores every request's timestamp in one cache value, read and rewritten whole on every request, so
its cost grows with the rate (tens of kilobytes per request for a busy CI token) and concurrent workers
overwrite each other's entries. DRF calls the throttle after authentication and the permission checks,
as for any other view.
"""

import time

from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

from registry.authentication import request_token


class FixedWindowRateThrottle(SimpleRateThrottle):
    """At most ``num_requests`` per ``duration``-second window, counted with the cache's atomic incr."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        self.window_ends = (int(self.now // self.duration) + 1) * self.duration
        return self.count(f"{self.key}:{int(self.now // self.duration)}") <= self.num_requests

    def count(self, window_key: str) -> int:
        """This window's count including this request: one round trip once the window has its counter.

        0 when the cache cannot be reached (Redis is configured to ignore its errors, and returns
        nothing): rate limits fail open, so a cache outage does not take the API down with it.
        """
        try:
            return cache.incr(window_key) or 0
        except ValueError:  # the window's first request (or its counter expired): open it
            if cache.add(window_key, 1, self.duration + 1):
                return 1
            try:
                return cache.incr(window_key) or 0  # another request opened it meanwhile
            except ValueError:
                return 1

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
        return self._key(f"token-{token.pk}" if token else f"user-{request.user.pk}")

    def _key(self, ident: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(FixedWindowRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
