"""Errors Django raises before any view runs answer API paths in their envelope, other paths with Django's page."""

from rest_framework.test import APIClient


def test_a_host_this_server_does_not_serve_is_400_in_the_v0_envelope():
    response = APIClient(raise_request_exception=False).get("/api/v0/organizations", HTTP_HOST="evil.example")
    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json()["code"] == "BAD_REQUEST"


def test_a_host_this_server_does_not_serve_is_400_in_the_v1_envelope():
    response = APIClient(raise_request_exception=False).get("/v1/organizations", HTTP_HOST="evil.example")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "BAD_REQUEST")


def test_a_host_this_server_does_not_serve_gets_django_page_outside_the_api():
    response = APIClient(raise_request_exception=False).get("/admin/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")
