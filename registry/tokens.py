"""Issuing and revoking API tokens."""

import secrets
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from registry.models import ApiToken

TOKEN_PREFIX = "reg_"


@transaction.atomic
def issue_token(
    *, user, name: str, read_only: bool = False, expires_at: datetime | None = None, group: Group | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret. The secret is not stored and cannot be shown again."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        group=group,
        name=name,
        prefix=secret[: ApiToken.PREFIX_LENGTH],
        digest=ApiToken.digest_of(secret),
        read_only=read_only,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, secret


def revoke_token(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def service_account_for(group: Group):
    """The user a group's service tokens act as: a member of that group only, with no password."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=f"service-account.{group.name}"[:150],
        defaults={"email": "", "is_active": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(group)
    return user
