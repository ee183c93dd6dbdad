"""Health and readiness, request ids, and rate limits in each surface's envelope."""

import logging

import pytest
from django.core.files.storage import Storage
from rest_framework.test import APIClient

from registry.throttling import TokenRateThrottle
from registry.tokens import issue_token

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_check_and_is_200_when_all_pass(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "storage"}
    assert body["checks"]["broker"]["note"] == "not configured: tasks run in-process"


def test_readyz_is_503_naming_the_broker_when_it_is_unreachable(client, settings):
    from config.celery import app

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        response = client.get("/readyz")
    finally:
        app.conf.broker_url = None
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "fail"
    assert response.json()["checks"]["database"]["status"] == "ok"


class UnreachableStorage(Storage):
    def exists(self, name):
        raise OSError("storage unreachable")


def test_readyz_is_503_when_storage_fails(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {"BACKEND": "tests.registry.test_operations.UnreachableStorage"},
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    # A stable reason, not the exception's text (which may name hosts, ports or paths).
    assert response.json()["checks"]["storage"] == {"status": "fail", "error": "unavailable"}


def test_a_request_id_is_minted_and_echoed(client):
    response = client.get("/healthz")
    assert len(response["X-Request-ID"]) == 32


def test_a_client_request_id_is_honoured(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="build-42.step:7")
    assert response["X-Request-ID"] == "build-42.step:7"


def test_an_unsafe_client_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.urls("tests.probe_urls")
def test_log_lines_carry_the_request_id(user, caplog):
    from registry.request_id import RequestIdLogFilter

    _, secret = issue_token(user=user, name="ci")
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    with caplog.at_level(logging.ERROR, logger="registry.api"):
        caplog.handler.addFilter(RequestIdLogFilter())
        client.get("/api/v0/broken", HTTP_X_REQUEST_ID="trace-me")
    assert [r.request_id for r in caplog.records if r.name == "registry.api"] == ["trace-me"]


@pytest.mark.urls("tests.probe_urls")
@pytest.mark.parametrize(("path", "body_of"), [("/api/v0/probe", lambda b: b), ("/v1/probe", lambda b: b["error"])])
def test_going_over_the_token_rate_is_429_with_retry_after_in_the_surface_envelope(user, monkeypatch, path, body_of):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "2/minute", "anon": "2/minute"})
    _, secret = issue_token(user=user, name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    statuses = [client.get(path).status_code for _ in range(3)]
    response = client.get(path)
    assert statuses == [200, 200, 429]
    assert body_of(response.json())["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    "path",
    [
        "/static/admin/css/base.css",  # the staff console
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",  # Swagger UI, offline
        "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",  # Redoc, offline
    ],
)
def test_static_files_are_served_by_the_app_itself_as_under_gunicorn_in_production(client, settings, path):
    assert not settings.DEBUG  # Django's own static serving is off, as in production
    response = client.get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
