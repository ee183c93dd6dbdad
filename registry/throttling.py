"""Rate limits backed by the cache (Redis in production), one bucket per token or per client address."""

from rest_framework.throttling import SimpleRateThrottle

from registry.authentication import request_token


class TokenRateThrottle(SimpleRateThrottle):
    """Authenticated callers: one bucket per token (or per user for session logins)."""

    scope = "token"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        token = request_token(request)
        ident = f"token-{token.pk}" if token else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonymousRateThrottle(SimpleRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
