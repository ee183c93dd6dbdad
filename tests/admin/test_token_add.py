"""'Add API token' in the console: the token services issue it, its secret is shown once, only its digest is kept."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry.models import ApiToken, OrganizationGroup
from tests.factories import GroupFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = "admin:registry_apitoken_add"
SECRET = re.compile(r'<code id="token-secret">([^<]+)</code>')


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", email="ada@example.com")


def issue(staff_client, **fields):
    data = {"user": "", "group": "", "name": "ci", "expires_at_0": "", "expires_at_1": "", **fields}
    return staff_client.post(reverse(ADD), {key: value for key, value in data.items() if value is not False})


def secret_in(response) -> str:
    match = SECRET.search(response.content.decode())
    assert match, "no secret on the page"
    return match.group(1)


def test_adding_a_token_shows_its_secret_once_and_stores_only_its_digest(staff_client, ada):
    response = issue(staff_client, user=ada.pk, name="ci")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"].split(", ")
    secret = secret_in(response)
    token = ApiToken.objects.get(user=ada, name="ci")
    assert token.digest == ApiToken.digest_of(secret)
    assert secret not in {token.digest, token.prefix, token.name}
    assert secret.startswith(token.prefix)
    for url in (
        reverse("admin:registry_apitoken_change", args=[token.pk]),
        reverse("admin:registry_apitoken_changelist"),
        reverse(ADD),
    ):
        assert secret not in staff_client.get(url).content.decode(), url


def test_reloading_the_page_that_showed_the_secret_issues_nothing_and_shows_no_secret(staff_client, ada):
    first = issue(staff_client, user=ada.pk, name="ci")
    secret = secret_in(first)

    again = issue(staff_client, user=ada.pk, name="ci")  # what a browser's reload re-posts

    page = again.content.decode()
    assert again.status_code == 200
    assert secret not in page
    assert not SECRET.search(page)
    assert "User ada already has a token named ci: choose another name, or revoke that token first." in page
    assert ApiToken.objects.filter(user=ada).count() == 1


def test_the_issued_secret_authenticates_api_requests_as_the_user(staff_client, ada):
    secret = secret_in(issue(staff_client, user=ada.pk, name="ci"))
    api = APIClient()

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.get("/api/v0/organizations")

    assert response.status_code == 200


def test_read_only_and_expiry_are_issued_as_chosen(staff_client, ada):
    expires = timezone.localtime() + timedelta(days=30)

    issue(
        staff_client,
        user=ada.pk,
        name="reader",
        read_only="on",
        expires_at_0=expires.strftime("%Y-%m-%d"),
        expires_at_1=expires.strftime("%H:%M:%S"),
    )

    token = ApiToken.objects.get(user=ada, name="reader")
    assert token.read_only is True
    assert abs(token.expires_at - expires) < timedelta(seconds=1)


def test_a_group_token_acts_as_the_groups_service_account(staff_client, organization):
    analysts = GroupFactory(name="analysts")
    OrganizationGroup.objects.create(organization=organization, group=analysts)

    response = issue(staff_client, group=analysts.pk, name="pipeline")

    token = ApiToken.objects.get(group=analysts, name="pipeline")
    assert token.user.username == "service-account.analysts"
    assert token.digest == ApiToken.digest_of(secret_in(response))
    assert "group analysts (its service account)" in response.content.decode()


def test_an_expiry_in_the_past_is_refused_in_words_and_nothing_is_issued(staff_client, ada):
    past = timezone.localtime() - timedelta(days=1)

    response = issue(
        staff_client,
        user=ada.pk,
        name="old",
        expires_at_0=past.strftime("%Y-%m-%d"),
        expires_at_1=past.strftime("%H:%M:%S"),
    )

    assert response.context["adminform"].form.errors["expires_at"] == ["Must be in the future."]
    assert not ApiToken.objects.filter(user=ada).exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "user", "Choose the user (or the group) the token acts for."),
        ({"group": "BOTH"}, "group", "Choose a user or a group, not both."),
        ({"group": "ONLY", "read_only": "on"}, "read_only", "A group service token cannot be read-only"),
    ],
)
def test_a_token_for_nobody_for_both_or_a_read_only_group_token_is_refused(
    staff_client, ada, organization, fields, field, message
):
    analysts = GroupFactory(name="analysts")
    OrganizationGroup.objects.create(organization=organization, group=analysts)
    chosen = {"user": ada.pk if fields.get("group") == "BOTH" else "", **fields}
    if "group" in fields:
        chosen["group"] = analysts.pk

    response = issue(staff_client, **chosen)

    assert response.context["adminform"].form.errors[field][0].startswith(message)
    assert not ApiToken.objects.exists()


def test_staff_without_the_add_permission_cannot_issue_tokens(client, ada):
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)

    response = issue(client, user=ada.pk)

    assert response.status_code == 403
    assert not ApiToken.objects.exists()
