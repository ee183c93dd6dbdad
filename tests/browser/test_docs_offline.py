"""The landing page, Swagger UI and Redoc in headless Chromium: each renders, and asks nothing of any
host but the registry itself (so they work on a machine with no internet, and leak nothing to third parties).

Every request the page makes is logged; a request to another host is answered with a network error so
the test fails on what it found rather than waiting on a network that is not there.
"""

from urllib.parse import urlparse

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def requests_seen(page, live_server):
    """Every URL the page requests, in order; requests off the live server's host are refused."""
    own = urlparse(live_server.url).netloc
    seen: list[str] = []

    def route(route):
        seen.append(route.request.url)
        if urlparse(route.request.url).netloc == own:
            route.continue_()
        else:
            route.abort("addressunreachable")

    page.context.route("**/*", route)
    return seen


def off_host(urls: list[str], live_server) -> list[str]:
    """The URLs among ``urls`` that leave the live server (data: and blob: URLs never leave the page)."""
    own = urlparse(live_server.url).netloc
    return [url for url in urls if urlparse(url).scheme not in {"data", "blob"} and urlparse(url).netloc != own]


def test_swagger_ui_renders_the_operations_from_the_registry_alone(page, live_server, requests_seen, screenshot):
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("text=Create or update package")
    page.wait_for_load_state("networkidle")
    screenshot("swagger")

    assert page.locator(".opblock").count() > 10
    assert f"{live_server.url}/api/schema/" in requests_seen
    assert off_host(requests_seen, live_server) == []
    print("\nSwagger UI requests:", *requests_seen, sep="\n  ")


def test_redoc_renders_the_operations_without_web_fonts_or_a_remote_logo(page, live_server, requests_seen):
    page.goto(f"{live_server.url}/api/redoc/")
    page.wait_for_selector("h2:has-text('Create or update package')")
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "redoc.png"))  # the viewport: the whole page is too tall to capture

    assert page.locator("h2", has_text="Create or update package").count() >= 1

    assert f"{live_server.url}/api/schema/" in requests_seen
    assert off_host(requests_seen, live_server) == []
    print("\nRedoc requests:", *requests_seen, sep="\n  ")


def test_the_landing_page_and_its_favicon_load_from_the_registry_alone(page, live_server, requests_seen, screenshot):
    response = page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")
    screenshot("landing")

    assert response.status == 200
    assert page.locator("h1").inner_text() == "Package Registry"
    for href in ("/admin/", "/api/docs/", "/api/redoc/", "/api/schema/", "/api/v0/", "/v1/", "/healthz", "/readyz"):
        assert page.locator(f"a[href='{href}']").count() == 1, href
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server.url}{icon}").ok
    assert off_host(requests_seen, live_server) == []
    print("\nLanding page requests:", *requests_seen, sep="\n  ")


def test_the_landing_pages_documentation_links_lead_to_rendered_docs(page, live_server, requests_seen):
    page.goto(f"{live_server.url}/")
    page.click("a[href='/api/redoc/']")
    page.wait_for_selector("h2:has-text('Create or update package')")

    assert page.url == f"{live_server.url}/api/redoc/"
    assert off_host(requests_seen, live_server) == []
