"""Issue a personal API token for a user and print its secret once.

python manage.py issue_token alice --name ci --expires-in-days 90
TOKEN=$(python manage.py issue_token alice --quiet)
"""

import secrets
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from registry.access import holds_any_grant
from registry.errors import RegistryError
from registry.services import issue_user_token


def _expiry_at(value: str) -> datetime:
    """An ISO 8601 date or date-time; one without a time zone is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--expires-at {value!r} is not an ISO 8601 date or date-time (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)"
        ) from exc
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = (
        "Issue an API token for a user and print its secret once (the last line of the output; "
        "--quiet prints only the secret). The token acts with the user's roles."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the user the token acts as")
        parser.add_argument("--name", help="a name for the token, unique per user (default: cli-<date>-<time>-<hex>)")
        parser.add_argument("--read-only", action="store_true", help="refuse every write made with this token")
        expiry = parser.add_mutually_exclusive_group()
        expiry.add_argument("--expires-in-days", type=int, metavar="N", help="expire N days from now")
        expiry.add_argument(
            "--expires-at", metavar="ISO-8601", help="expire at this date or date-time (no time zone: UTC)"
        )
        parser.add_argument("--create-user", action="store_true", help="create the user if there is none")
        parser.add_argument("--email", default="", help="with --create-user: the new user's email")
        parser.add_argument("--quiet", action="store_true", help="print only the secret")

    def handle(self, *args, username: str, **options):
        if options["email"] and not options["create_user"]:
            raise CommandError("--email only applies with --create-user, to the new user.")
        expires_at = self._expires_at(options)
        name = options["name"]
        if name is None:
            name = f"cli-{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        User = get_user_model()
        with transaction.atomic():  # a user created for a token that is then refused is not kept
            user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
            if user is None:
                if not options["create_user"]:
                    raise CommandError(f"No user named {username!r}; pass --create-user to create one.")
                user = User.objects.create_user(username, email=options["email"])  # no password: it logs in by token
            elif options["email"]:
                raise CommandError(f"User {username!r} already exists; --email only applies to a new user.")
            try:
                token, secret = issue_user_token(
                    user=user, name=name, read_only=options["read_only"], expires_at=expires_at
                )
            except RegistryError as exc:
                raise CommandError(exc.message) from exc

        if options["quiet"]:
            self.stdout.write(secret)
            return
        access = "read-only" if token.read_only else "read-write"
        until = f"expires {token.expires_at.isoformat()}" if token.expires_at else "never expires"
        self.stdout.write(f"Issued token {token.name!r} for user {username} ({access}, {until}).")
        if not user.is_staff and not holds_any_grant(user):
            self.stderr.write(
                f"Note: {username} holds no role anywhere yet, so the token sees no organization: grant one in "
                "the admin (Grants) or with POST .../permissions (a modeler publishes)."
            )
        self.stdout.write("Secret (shown once, store it now; send it as 'Authorization: Bearer <secret>'):")
        self.stdout.write(secret)

    @staticmethod
    def _expires_at(options) -> datetime | None:
        days = options["expires_in_days"]
        if days is not None:
            if days < 1:
                raise CommandError("--expires-in-days must be 1 or more.")
            return timezone.now() + timedelta(days=days)
        if options["expires_at"]:
            return _expiry_at(options["expires_at"])
        return None
