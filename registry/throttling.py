"""Rate limits backed by the cache (Redis in production), one bucket per token or per client address.

A fixed-window counter (one atomic ``incr`` per request) rather than DRF's default sliding log: that
one stores every request's timestamp in one cache value, read and rewritten whole on every request, so
its cost grows with the rate (tens of kilobytes per request for a busy CI token) and concurrent workers
overwrite each other's entries.
"""

import time

from django.core.cache import cache as default_cache
from rest_framework.throttling import SimpleRateThrottle

from registry.authentication import request_token


class FixedWindowRateThrottle(SimpleRateThrottle):
    """At most ``num_requests`` per ``duration``-second window, counted with the cache's atomic incr."""

    cache = default_cache

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{self.key}:{window}"
        self.cache.add(key, 0, self.duration + 1)
        try:
            count = self.cache.incr(key)
        except ValueError:  # expired between add and incr: this request opens the window
            self.cache.set(key, 1, self.duration + 1)
            count = 1
        return count <= self.num_requests

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
        ident = f"token-{token.pk}" if token else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(FixedWindowRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
