"""Rate limits backed by the cache (Redis in production), one bucket per token or per client address.

A fixed-window counter (one atomic ``incr`` per request) rather than DRF's default sliding log: that
one stores every request's timestamp in one cache value, read and rewritten whole on every request, so
its cost grows with the rate (tens of kilobytes per request for a busy CI token) and concurrent workers
overwrite each other's entries.
"""

import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from registry.authentication import request_token


class FixedWindowRateThrottle(SimpleRateThrottle):
    """At most ``num_requests`` per ``duration``-second window, counted with the cache's atomic incr."""

    @property
    def cache(self):
        # The backend itself: ``django.core.cache.cache`` is a proxy, never an instance of RedisCache.
        return caches["default"]

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return self._count(f"{self.key}:{window}") <= self.num_requests

    def _count(self, key: str) -> int:
        """This window's count including this request."""
        if isinstance(self.cache, RedisCache):
            # One round trip: INCR and set the expiry together (Django's incr costs two, plus an add).
            # No MULTI/EXEC: each command is atomic, and a counter left without its expiry would only
            # need a crash between two commands sent in one packet.
            client = self.cache._cache.get_client(key, write=True)
            pipeline = client.pipeline(transaction=False)
            redis_key = self.cache.make_and_validate_key(key)
            pipeline.incr(redis_key)
            pipeline.expire(redis_key, self.duration + 1)
            return int(pipeline.execute()[0])
        self.cache.add(key, 0, self.duration + 1)
        try:
            return self.cache.incr(key)
        except ValueError:  # expired between add and incr: this request opens the window
            self.cache.set(key, 1, self.duration + 1)
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
        ident = f"token-{token.pk}" if token else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(FixedWindowRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
