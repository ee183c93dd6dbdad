"""The landing page at ``/``, the favicon, and the two API roots it links to."""

import re

import pytest

from registry.views import SAME_ORIGIN_ONLY

pytestmark = pytest.mark.django_db

LINKS = ["/admin/", "/api/docs/", "/api/redoc/", "/api/schema/", "/api/v0/", "/v1/", "/healthz", "/readyz"]


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_the_landing_page_links_the_admin_the_docs_the_api_roots_and_the_health_checks(client):
    response = client.get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert set(LINKS) <= set(hrefs(response.content.decode()))


@pytest.mark.parametrize("href", LINKS)
def test_every_link_on_the_landing_page_leads_somewhere(client, href):
    assert href in hrefs(client.get("/").content.decode())
    response = client.get(href)
    assert response.status_code in {200, 302}, (href, response.status_code)
    if response.status_code == 302:
        assert response["Location"].startswith("/admin/login/")


def test_the_landing_page_names_nothing_on_another_host(client):
    html = client.get("/").content.decode()

    assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == []
    assert client.get("/")["Content-Security-Policy"] == SAME_ORIGIN_ONLY


@pytest.mark.parametrize("path", ["/", "/api/docs/", "/api/redoc/"])
def test_the_landing_page_and_the_docs_forbid_the_browser_other_hosts(client, path):
    policy = client.get(path)["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "http" not in policy


def test_the_landing_page_names_its_icon_and_favicon_ico_leads_to_it(client):
    icon = re.search(r'<link rel="icon" href="([^"]+)"', client.get("/").content.decode()).group(1)

    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 302
    assert redirect["Location"] == icon
    served = client.get(icon)
    assert served.status_code == 200
    assert served["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(served.streaming_content)


def test_redoc_asks_for_no_web_fonts(client):
    html = client.get("/api/redoc/").content.decode()

    assert "fonts.googleapis.com" not in html
    assert "redoc.standalone.js" in html


def test_the_v0_root_lists_its_entry_points_to_anyone(client):
    response = client.get("/api/v0/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["organizations"] == "http://testserver/api/v0/organizations"
    assert response.json()["packages"].endswith("/api/v0/organizations/{org}/projects/{project}/packages")


def test_the_v1_root_lists_its_route_templates(client):
    response = client.get("/v1/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["components"] == (
        "http://testserver/v1/organizations/{organizationId}/projects/{projectId}/components"
    )


def test_the_roots_are_left_out_of_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert "/api/v0/" not in schema["paths"]
    assert "/v1/" not in schema["paths"]
