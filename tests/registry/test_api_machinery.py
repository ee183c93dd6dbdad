"""Bearer tokens, read-only tokens and the two error envelopes, on a probe URLconf."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from registry.models import ApiToken
from registry.tokens import issue_token, revoke_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.probe_urls")]


def bearer(secret: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_a_valid_token_authenticates_its_user(user):
    _, secret = issue_token(user=user, name="ci")
    response = bearer(secret).get("/api/v0/probe")
    assert response.status_code == 200
    assert response.json() == {"user": user.username}


def test_only_a_digest_and_a_short_prefix_of_the_token_are_stored(user):
    token, secret = issue_token(user=user, name="ci")
    assert secret not in {token.digest, token.prefix}
    assert secret.startswith(token.prefix)
    assert len(token.prefix) == ApiToken.PREFIX_LENGTH


def test_using_a_token_records_its_last_use(user):
    token, secret = issue_token(user=user, name="ci")
    bearer(secret).get("/api/v0/probe")
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    ("path", "body_of"),
    [("/api/v0/probe", lambda b: b), ("/v1/probe", lambda b: b["error"])],
)
def test_an_unknown_token_is_401_in_the_surface_envelope(path, body_of):
    response = bearer("reg_not-a-real-token").get(path)
    assert response.status_code == 401
    assert body_of(response.json())["code"] == "UNAUTHENTICATED"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401(user):
    _, secret = issue_token(user=user, name="old", expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(secret).get("/api/v0/probe")
    assert response.status_code == 401
    assert response.json()["message"] == "This token has expired."


def test_a_revoked_token_is_401(user):
    token, secret = issue_token(user=user, name="gone")
    revoke_token(token=token)
    response = bearer(secret).get("/v1/probe")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This token has been revoked."


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer two parts"])
def test_a_malformed_authorization_header_is_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v0/probe")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"


def test_no_credentials_at_all_is_401_in_the_v1_envelope():
    response = APIClient().get("/v1/probe")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert response.json()["error"]["details"] == {}


def test_a_read_only_token_may_read(user):
    _, secret = issue_token(user=user, name="ro", read_only=True)
    assert bearer(secret).get("/api/v0/probe").status_code == 200


def test_a_read_only_token_cannot_write(user):
    _, secret = issue_token(user=user, name="ro", read_only=True)
    response = bearer(secret).post("/api/v0/probe", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "FORBIDDEN"


def test_a_read_write_token_may_write(user):
    _, secret = issue_token(user=user, name="rw")
    assert bearer(secret).post("/api/v0/probe", {}, format="json").status_code == 201


def test_404_for_an_unknown_api_path_is_json_in_the_v0_envelope():
    response = APIClient().get("/api/v0/no/such/thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "NOT_FOUND"


def test_404_for_an_unknown_api_path_is_json_in_the_v1_envelope():
    response = APIClient().get("/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_405_is_in_the_v0_envelope(user):
    _, secret = issue_token(user=user, name="ci")
    response = bearer(secret).delete("/api/v0/probe")
    assert response.status_code == 405
    assert response.json() == {"code": "METHOD_NOT_ALLOWED", "message": 'Method "DELETE" not allowed.'}


def test_405_is_in_the_v1_envelope(user):
    _, secret = issue_token(user=user, name="ci")
    response = bearer(secret).delete("/v1/probe")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_an_unhandled_error_is_500_in_the_v0_envelope_and_logged(user, caplog):
    _, secret = issue_token(user=user, name="ci")
    response = bearer(secret).get("/api/v0/broken")
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL_ERROR"
    assert "boom" not in response.content.decode()
    assert any("Unhandled error" in record.message for record in caplog.records)


def test_an_unhandled_error_is_500_in_the_v1_envelope(user):
    _, secret = issue_token(user=user, name="ci")
    response = bearer(secret).get("/v1/broken")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"


def test_a_domain_error_keeps_its_code_status_and_details_in_each_envelope(user):
    _, secret = issue_token(user=user, name="ci")
    client = bearer(secret)
    v0 = client.get("/api/v0/refuses")
    v1 = client.get("/v1/refuses")
    assert (v0.status_code, v1.status_code) == (409, 409)
    assert v0.json() == {
        "code": "VERSION_EXISTS",
        "message": "Package version 1.0.0 already exists",
        "details": {"version": "1.0.0"},
    }
    assert v1.json() == {"error": {**v0.json()}}
