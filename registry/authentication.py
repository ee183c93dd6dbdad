"""``Authorization: Bearer <token>`` authentication for both API surfaces; ``x-api-key: <token>`` (Metabind's
client API header) is the same token in another header."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rest_framework import authentication, exceptions

from registry.models import ApiToken


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Every request looks its token up in the database (one indexed query, the user joined), so a
    revocation, an expiry or a deactivated user takes effect on the very next request."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            api_key = request.META.get("HTTP_X_API_KEY")
            if api_key is None:
                return None
            secret = _well_formed(api_key)
            if secret is None:
                raise exceptions.AuthenticationFailed("Malformed x-api-key header: expected the token alone.")
            return self._authenticate_secret(secret)
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None  # another scheme (Basic, Session...) is not ours to judge
        secret = _well_formed(secret)
        if secret is None:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: expected 'Bearer <token>'.")
        return self._authenticate_secret(secret)

    def _authenticate_secret(self, secret: str):
        try:
            # The digest is unique: get() sorts nothing (first() would order by the model's -created_at).
            token = ApiToken.objects.select_related("user").get(digest=ApiToken.digest_of(secret))
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed("This token has expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is inactive.")
        _record_use(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


def _record_use(token: ApiToken) -> None:
    """Write the token's last use at most once per ``REGISTRY_TOKEN_LAST_USED_RESOLUTION``: reads should
    not each cost a write. The row just read says when it was last written; the UPDATE repeats the
    condition, so of concurrent requests (any worker) that all saw an old value only one writes."""
    now = timezone.now()
    stale_before = now - timedelta(seconds=settings.REGISTRY_TOKEN_LAST_USED_RESOLUTION)
    if token.last_used_at is not None and token.last_used_at > stale_before:
        return
    ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before), pk=token.pk).update(
        last_used_at=now
    )
    token.last_used_at = now


def _well_formed(secret: str) -> str | None:
    secret = secret.strip()
    return secret if secret and " " not in secret else None


def request_token(request) -> ApiToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def is_read_only(request) -> bool:
    token = request_token(request)
    return bool(token and token.read_only)
