"""``manage.py issue_token``: a personal API token for a user, its secret printed once."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from registry.models import ApiToken
from tests.api_v0.conftest import BASE, upload

pytestmark = pytest.mark.django_db


def issue(*args: str) -> list[str]:
    """Run the command; the lines it printed on stdout."""
    out = io.StringIO()
    call_command("issue_token", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_printed_secret_authenticates_as_the_user_and_may_publish(modeler):
    [secret] = issue("mo", "--quiet")
    as_token = bearer(secret)
    assert as_token.get(f"{BASE}/packages").status_code == 200
    assert upload(as_token, package="ledger", version="1.0.0").status_code == 201
    token = ApiToken.objects.get(user=modeler)
    assert token.digest == ApiToken.digest_of(secret)
    assert token.last_used_at is not None


def test_the_secret_is_the_last_line_and_only_its_digest_is_stored(modeler):
    lines = issue("mo", "--name", "laptop")
    token = ApiToken.objects.get(user=modeler, name="laptop")
    assert ApiToken.digest_of(lines[-1]) == token.digest
    assert "Secret (shown once" in lines[-2]
    assert "'laptop' for user mo (read-write, never expires)" in lines[0]
    assert lines[-1] not in {token.digest, token.prefix}
    assert not token.read_only
    assert token.expires_at is None


def test_a_read_only_token_reads_but_is_refused_on_publish(modeler):
    [secret] = issue("mo", "--read-only", "--quiet")
    as_token = bearer(secret)
    assert as_token.get(f"{BASE}/packages").status_code == 200
    response = upload(as_token, package="ledger", version="1.0.0")
    assert response.status_code == 403
    assert ApiToken.objects.get(user=modeler).read_only


def test_an_expiry_in_days_is_stored_from_now(modeler):
    before = timezone.now()
    issue("mo", "--expires-in-days", "30", "--quiet")
    after = timezone.now()
    expires_at = ApiToken.objects.get(user=modeler).expires_at
    assert before + timedelta(days=30) <= expires_at <= after + timedelta(days=30)


def test_an_iso_expiry_is_stored_as_given_and_one_without_a_zone_is_utc(modeler):
    issue("mo", "--name", "zoned", "--expires-at", "2099-01-31T12:00:00+02:00", "--quiet")
    issue("mo", "--name", "naive", "--expires-at", "2099-01-31", "--quiet")
    stored = dict(ApiToken.objects.filter(user=modeler).values_list("name", "expires_at"))
    assert stored["zoned"] == datetime(2099, 1, 31, 10, 0, tzinfo=UTC)
    assert stored["naive"] == datetime(2099, 1, 31, 0, 0, tzinfo=UTC)


def test_an_expired_token_is_refused_by_the_api(modeler):
    [secret] = issue("mo", "--expires-in-days", "1", "--quiet")
    ApiToken.objects.filter(user=modeler).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(secret).get(f"{BASE}/packages").status_code == 401


def test_an_unknown_user_fails_cleanly_and_issues_nothing(db):
    with pytest.raises(CommandError, match="No user named 'nobody'; pass --create-user"):
        issue("nobody")
    assert not ApiToken.objects.exists()
    assert not get_user_model().objects.filter(username="nobody").exists()


def test_create_user_makes_a_user_without_a_password_and_warns_that_it_has_no_role(db):
    err = io.StringIO()
    call_command(
        "issue_token", "newbie", "--create-user", "--email", "newbie@example.com", stdout=io.StringIO(), stderr=err
    )
    user = get_user_model().objects.get(username="newbie")
    assert user.email == "newbie@example.com"
    assert not user.has_usable_password()
    assert ApiToken.objects.filter(user=user).count() == 1
    assert "holds no role anywhere yet" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expires-at", "next tuesday"], "is not an ISO 8601 date"),
        (["--expires-at", "2000-01-01T00:00:00Z"], "must be in the future"),
        (["--expires-in-days", "0"], "must be 1 or more"),
        (["--expires-in-days", "5", "--expires-at", "2099-01-01"], "not allowed with argument"),
        (["--name", ""], "a token name of 1 to 100 characters"),
        (["--name", "x" * 101], "a token name of 1 to 100 characters"),
        (["--email", "mo2@example.com"], "--email only applies with --create-user"),
        (["--create-user", "--email", "mo2@example.com"], "User 'mo' already exists"),
    ],
)
def test_bad_expiries_names_and_conflicting_flags_fail_cleanly(modeler, args, message):
    with pytest.raises(CommandError, match=message):
        issue("mo", *args)
    assert not ApiToken.objects.exists()


def test_a_name_the_user_already_has_is_refused(modeler):
    issue("mo", "--name", "ci", "--quiet")
    with pytest.raises(CommandError, match="already has a token named ci"):
        issue("mo", "--name", "ci")
    assert ApiToken.objects.filter(user=modeler).count() == 1


def test_a_user_created_for_a_refused_token_is_not_kept(db):
    with pytest.raises(CommandError, match="must be in the future"):
        issue("ghost", "--create-user", "--expires-at", "2000-01-01")
    assert not get_user_model().objects.filter(username="ghost").exists()


def test_an_inactive_user_gets_no_token(modeler):
    modeler.is_active = False
    modeler.save()
    with pytest.raises(CommandError, match="mo is inactive"):
        issue("mo")
    assert not ApiToken.objects.exists()
