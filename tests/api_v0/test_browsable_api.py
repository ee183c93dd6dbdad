"""The DRF browsable API works with a session login on the v0 endpoints, and its forms show what each
method takes: the create-or-update form has the seed's four multipart parts, the raw form is JSON first."""

import hashlib
import io
import json
from html.parser import HTMLParser

import pytest
from django.test import Client

from packages_app.models import Version
from tests.api_v0.conftest import BASE, archive_for, seed_package_part, seed_version_part
from tests.factories import make_version

pytestmark = pytest.mark.django_db

PACKAGE_PAGE = f"{BASE}/packages/ledger"


class Forms(HTMLParser):
    """The forms of a page: for each, its attributes and its fields (name -> {type, value})."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._field: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({**attrs, "fields": {}})
        elif self.forms and tag in {"input", "textarea", "select"} and attrs.get("name"):
            field = {"type": attrs.get("type", tag), "value": attrs.get("value", "")}
            self.forms[-1]["fields"][attrs["name"]] = field
            self._field = field if tag in {"textarea", "select"} else None
        elif tag == "option" and self._field is not None:
            self._field.setdefault("options", []).append(attrs["value"])
            if "selected" in attrs:
                self._field["value"] = attrs["value"]

    def handle_data(self, data):
        if self._field is not None and self._field["type"] == "textarea":
            self._field["value"] += data

    def handle_endtag(self, tag):
        if tag in {"textarea", "select"}:
            self._field = None

    def html_post_form(self) -> dict:
        """The HTML (not raw) POST form: the one that posts multipart/form-data."""
        (form,) = [f for f in self.forms if f.get("method") == "POST" and f.get("enctype") == "multipart/form-data"]
        return form

    def raw_forms(self) -> list[dict]:
        return [f for f in self.forms if "_content_type" in f["fields"]]

    def raw_form(self, method: str) -> dict:
        """The raw form a method's button submits (PATCH shares the PUT form, as DRF draws it)."""
        wanted = "POST" if method == "POST" else "PUT"
        (form,) = [f for f in self.raw_forms() if (f.get("method") or f.get("data-method")) == wanted]
        return form


def page_forms(client, path: str) -> Forms:
    response = client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200, response.content
    return Forms(response.content.decode())


def user_fields(form: dict) -> set[str]:
    return set(form["fields"]) - {"csrfmiddlewaretoken"}


@pytest.fixture
def browser(client, admin):
    client.force_login(admin)
    return client


@pytest.fixture
def org_admin_browser(browser, admin, organization, grant):
    """The browser of someone who administers the organization (its groups' tokens and members)."""
    grant(organization, "admin", user=admin)
    return browser


@pytest.fixture
def analysts(org_admin_browser, organization, admin):
    """A group the organization owns; the URL of its page."""
    from registry.services import owned_group

    owned_group(organization=organization, group_name="analysts", actor=admin, create=True)
    return "/api/v0/organizations/acme/groups/analysts"


@pytest.fixture
def browser_with_csrf(admin):
    """A logged-in client that enforces CSRF, as a real browser session meets it."""
    client = Client(enforce_csrf_checks=True)
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


def test_a_session_upload_needs_the_csrf_token(browser_with_csrf, project):
    client = browser_with_csrf
    form = {"package": seed_package_part(), "version": seed_version_part("1.0.0")}
    response = client.post(f"{BASE}/packages/ledger", form)
    assert response.status_code == 403
    client.get("/api/v0/organizations", HTTP_ACCEPT="text/html")  # the page sets the csrf cookie

    upload_file = io.BytesIO(archive_for("1.0.0"))
    upload_file.name = "ledger.zip"
    response = client.post(
        f"{BASE}/packages/ledger",
        {**form, "packageFile": upload_file, "csrfmiddlewaretoken": client.cookies["csrftoken"].value},
    )
    assert response.status_code == 201, response.content


def test_the_create_or_update_form_has_the_four_multipart_parts(browser, package):
    form = page_forms(browser, PACKAGE_PAGE).html_post_form()

    assert user_fields(form) == {"package", "version", "packageFile", "md5Hash"}
    assert form["fields"]["packageFile"]["type"] == "file"
    assert form["fields"]["package"]["type"] == "textarea"
    assert form["fields"]["version"]["type"] == "textarea"


def test_submitting_the_create_or_update_form_as_a_browser_would_publishes_the_version(browser_with_csrf, package):
    client = browser_with_csrf
    form = page_forms(client, PACKAGE_PAGE).html_post_form()
    data = archive_for("2.0.0")
    archive = io.BytesIO(data)
    archive.name = "ledger-2.0.0.zip"
    values = {
        "package": json.dumps({"description": "Published from the browsable API"}),
        "version": json.dumps({"id": "2.0.0"}),
        "packageFile": archive,
        "md5Hash": hashlib.md5(data).hexdigest(),
    }
    assert set(values) == user_fields(form)  # exactly the form's parts, named as the form names them

    response = client.post(
        form["action"],
        {**values, "csrfmiddlewaretoken": form["fields"]["csrfmiddlewaretoken"]["value"]},
        HTTP_ACCEPT="text/html",
    )

    assert response.status_code == 201, response.content
    assert Version.objects.filter(package=package, version="2.0.0").exists()
    package.refresh_from_db()
    assert package.description == "Published from the browsable API"
    # The page answering the POST offers the same upload form again, not the response's fields.
    assert user_fields(Forms(response.content.decode()).html_post_form()) == {
        "package",
        "version",
        "packageFile",
        "md5Hash",
    }


def test_the_create_or_update_form_left_empty_publishes_nothing(browser, package):
    form = page_forms(browser, PACKAGE_PAGE).html_post_form()
    empty = {name: "" for name in user_fields(form) if name != "packageFile"}

    response = browser.post(form["action"], empty)

    assert response.status_code == 200, response.content
    assert not Version.objects.filter(package=package).exists()


def test_every_raw_data_form_offers_json_first_and_no_multipart(browser, package):
    forms = page_forms(browser, PACKAGE_PAGE).raw_forms()

    assert len(forms) == 2  # POST, and PATCH
    for form in forms:
        content_type = form["fields"]["_content_type"]
        assert content_type["value"] == "application/json"
        assert content_type["options"][0] == "application/json"
        assert not any(option.startswith("multipart/") for option in content_type["options"])


def test_the_raw_patch_form_holds_the_packages_current_editable_values(browser, package):
    package.description = "Ledger of record"
    package.save()
    form = page_forms(browser, PACKAGE_PAGE).raw_form("PATCH")

    content = json.loads(form["fields"]["_content"]["value"])

    assert content["description"] == "Ledger of record"
    assert content["replicationCount"] == package.replication_count
    assert not {"latestVersion", "createdAt", "updatedAt", "indexStatus"} & set(content)


def test_sending_the_raw_patch_form_as_it_stands_changes_nothing_and_succeeds(browser, package):
    before = package.description
    form = page_forms(browser, PACKAGE_PAGE).raw_form("PATCH")

    response = browser.patch(PACKAGE_PAGE, form["fields"]["_content"]["value"], content_type="application/json")

    assert response.status_code == 200, response.content
    package.refresh_from_db()
    assert package.description == before


def test_the_raw_post_form_of_create_or_update_leaves_out_the_file(browser, package):
    content = json.loads(page_forms(browser, PACKAGE_PAGE).raw_form("POST")["fields"]["_content"]["value"])

    assert set(content) == {"package", "version", "md5Hash"}


def test_the_version_page_patches_only_the_archive_status(browser, package):
    make_version(package, "1.0.0")
    form = page_forms(browser, f"{PACKAGE_PAGE}/versions/1.0.0").raw_form("PATCH")

    assert json.loads(form["fields"]["_content"]["value"]) == {"archiveStatus": "unarchive"}


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/api/v0/organizations", {"name", "displayName", "description"}),
        ("/api/v0/organizations/acme/projects", {"name", "description"}),
        (f"{BASE}/permissions", {"userGroupId", "permission", "message"}),
        (f"{BASE}/packages/ledger/permissions", {"userGroupId", "permission", "message"}),
        (f"{BASE}/packages/ledger/versions/1.0.0/reindex", set()),
    ],
)
def test_each_post_form_shows_what_the_endpoint_takes(browser, package, path, fields):
    make_version(package, "1.0.0")
    response = browser.get(path, HTTP_ACCEPT="text/html")  # reindex answers GET with 405, and still draws its form
    form = Forms(response.content.decode()).html_post_form()

    assert user_fields(form) == fields


def test_the_group_token_form_asks_for_a_name_and_an_expiry(org_admin_browser, analysts):
    form = page_forms(org_admin_browser, f"{analysts}/tokens").html_post_form()

    assert user_fields(form) == {"name", "expiresAt"}


def test_a_group_token_made_through_its_form_is_named_as_the_form_says(org_admin_browser, analysts):
    form = page_forms(org_admin_browser, f"{analysts}/tokens").html_post_form()

    response = org_admin_browser.post(form["action"], {"name": "from-the-form"})

    assert response.status_code == 201, response.content
    assert response.json()["name"] == "from-the-form"


def test_the_group_members_page_offers_json_only_since_html_cannot_hold_the_list(org_admin_browser):
    response = org_admin_browser.get("/api/v0/organizations/acme/groups/analysts/members", HTTP_ACCEPT="text/html")
    forms = Forms(response.content.decode())

    assert not [f for f in forms.forms if f.get("enctype") == "multipart/form-data"]
    assert json.loads(forms.raw_form("POST")["fields"]["_content"]["value"]) == {"members": []}


def test_options_describes_what_create_or_update_takes(browser, package):
    actions = browser.options(PACKAGE_PAGE).json()["actions"]

    assert set(actions["POST"]) == {"package", "version", "packageFile", "md5Hash"}
