"""The DRF browsable API works with a session login on the v0 endpoints."""

import pytest

from tests.api_v0.conftest import BASE, archive_for, seed_package_part, seed_version_part
from tests.factories import make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, admin):
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/api/v0/organizations",
        f"{BASE}/packages",
        f"{BASE}/packages/ledger",
        f"{BASE}/packages/ledger/versions",
        f"{BASE}/packages/ledger/versions/1.0.0",
        f"{BASE}/permissions",
    ],
)
def test_v0_pages_render_as_html_for_a_logged_in_user(browser, package, path):
    make_version(package, "1.0.0")
    response = browser.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"Django REST framework" in response.content


def test_a_session_upload_needs_the_csrf_token(admin, project):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    form = {"package": seed_package_part(), "version": seed_version_part("1.0.0")}
    response = client.post(f"{BASE}/packages/ledger", form)
    assert response.status_code == 403
    client.get("/api/v0/organizations", HTTP_ACCEPT="text/html")  # the page sets the csrf cookie
    import io

    upload_file = io.BytesIO(archive_for("1.0.0"))
    upload_file.name = "ledger.zip"
    response = client.post(
        f"{BASE}/packages/ledger",
        {**form, "packageFile": upload_file, "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 201, response.content
