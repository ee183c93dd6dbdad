"""Headless Chromium for the staff console tests: Debian's ``chromium`` driven by Playwright for Python.

Playwright's own browser downloads are never used: the executable is found on the PATH (or given by
``CHROMIUM``). Without a browser, or without Playwright, every test here is skipped with the reason, so
the plain test command still passes on a bare machine. Screenshots go to ``test-artifacts/browser/``.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.factories import UserFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STAFF_PASSWORD = "console-test-password"


def find_chromium() -> str | None:
    """``$CHROMIUM`` when set (and only it), else Debian's chromium on the PATH."""
    explicit = os.environ.get("CHROMIUM")
    candidates = (
        [explicit] if explicit else [shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium"]
    )
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    mine = [item for item in items if Path(str(item.fspath)).is_relative_to(here)]
    for item in mine:
        item.add_marker(pytest.mark.browser)
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    if reason is None and find_chromium() is None:
        reason = (
            f"CHROMIUM={os.environ['CHROMIUM']} is not an executable"
            if os.environ.get("CHROMIUM")
            else "no Chromium found: apt-get install chromium (.ci/run does), or set CHROMIUM=/path/to/chromium"
        )
    if reason:
        print(f"\nbrowser tests skipped: {reason}")
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still plain
    # synchronous code, so let Django allow them, for this module only (and stop Playwright after it) so
    # no other test runs beside that loop or with the check relaxed.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request):
    """Save a full-page screenshot named after the test (and a step) under test-artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(step: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def staff(transactional_db):
    user = UserFactory(username="console-staff", is_staff=True, is_superuser=True)
    user.set_password(STAFF_PASSWORD)
    user.save()
    return user


def log_in(page, live_server, staff):
    """Log ``page`` in to the admin through its login form, as staff do."""
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#registry-stats")
    return page


@pytest.fixture
def logged_in(page, live_server, staff):
    """The page, logged in to the admin through its login form."""
    return log_in(page, live_server, staff)


# The screen sizes the console must fit: a common laptop and a common desktop.
VIEWPORTS = {"1366x768": {"width": 1366, "height": 768}, "1920x1080": {"width": 1920, "height": 1080}}


@pytest.fixture(params=list(VIEWPORTS))
def logged_in_at_each_size(browser, live_server, staff, request):
    """A page logged in to the admin, once per size in ``VIEWPORTS`` (the test runs at each)."""
    context = browser.new_context(viewport=VIEWPORTS[request.param])
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield log_in(page, live_server, staff)
    context.close()
