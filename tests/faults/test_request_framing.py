"""A request body we did not read is never a success, and over-long request lines answer in the envelope.

Django reads a body framed by ``Transfer-Encoding: chunked`` (no ``Content-Length``) as empty: a chunked
upload used to answer 200 (201 and an empty package when the package was new) with no version stored.
Under gunicorn it is now published whole; where the server cannot say where the body ends, it is 411.
gunicorn answered a query string over 4 KB with its own HTML 414.
"""

import io
import json
import shutil
import subprocess

import pytest

from packages_app.demo import build_malloy_archive
from packages_app.models import Package, Version
from tests.api_v0.conftest import BASE, upload

LEDGER = "/api/v0/organizations/acme/projects/finance/packages/ledger"


@pytest.mark.django_db
def test_a_chunked_upload_is_411_length_required_in_the_v0_envelope_and_stores_nothing(as_modeler, package):
    archive = io.BytesIO(build_malloy_archive("ledger", "7.7.7"))
    archive.name = "good.zip"
    form = {"version": json.dumps({"id": "7.7.7"}), "packageFile": archive}
    response = as_modeler.post(LEDGER, form, format="multipart", HTTP_TRANSFER_ENCODING="chunked")

    assert response.status_code == 411
    assert response.json()["code"] == "LENGTH_REQUIRED"
    assert not Version.objects.exists()


@pytest.mark.django_db
def test_a_chunked_request_to_v1_is_411_in_the_v1_envelope(client):
    response = client.post(
        "/v1/organizations/acme/projects/finance/packages", data=b"{}", content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )  # fmt: skip
    assert response.status_code == 411
    assert response.json()["error"]["code"] == "LENGTH_REQUIRED"


@pytest.mark.django_db
def test_a_transfer_coding_other_than_chunked_alone_is_501_in_the_v1_envelope(client):
    response = client.post(
        "/v1/organizations/acme/projects/finance/packages", data=b"{}", content_type="application/json",
        HTTP_TRANSFER_ENCODING="gzip, chunked",
    )  # fmt: skip
    assert response.status_code == 501
    assert response.json()["error"]["code"] == "UNSUPPORTED_TRANSFER_CODING"


@pytest.mark.django_db
def test_a_request_target_over_the_limit_is_414_in_the_envelope(as_viewer, settings):
    response = as_viewer.get(f"{BASE}/packages", {"q": "x" * settings.REGISTRY_MAX_REQUEST_TARGET_BYTES})
    assert response.status_code == 414
    assert response.json()["code"] == "URI_TOO_LONG"


def curl_upload(url: str, token: str, archive, version: str, *extra: str) -> tuple[int, dict]:
    result = subprocess.run(
        ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-H", f"Authorization: Bearer {token}", *extra,
         "-F", f'version={{"id":"{version}"}};type=application/json', "-F", f"packageFile=@{archive}", url],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body) if body.strip() else {}


@pytest.fixture
def good_zip(tmp_path):
    path = tmp_path / "good.zip"
    path.write_bytes(build_malloy_archive("ledger", "7.7.7"))
    return path


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_chunked_upload_to_gunicorn_is_published_whole(gunicorn_registry, good_zip):
    """gunicorn de-chunks the body and marks its end; Django gets it with its length and publishes it."""
    server = gunicorn_registry
    status, body = curl_upload(
        f"{server.url}{LEDGER}", server.token, good_zip, "7.7.7", "-H", "Transfer-Encoding: chunked"
    )

    assert status == 201
    assert body["latestVersion"] == "7.7.7"
    download = server.get(f"{LEDGER}/versions/7.7.7/download", headers={"Authorization": f"Bearer {server.token}"})
    assert download.body == good_zip.read_bytes()


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curl_chunked_upload_to_runserver_is_411_and_publishes_nothing(live_registry, tmp_path):
    """``make run`` (Django's development server) refuses it too."""
    token = live_registry.manage("issue_token", "chunky", "--create-user", "--quiet").strip()
    archive = tmp_path / "good.zip"
    archive.write_bytes(build_malloy_archive("brand-new", "1.0.0"))
    url = f"{live_registry.url}/api/v0/organizations/acme/projects/finance/packages/brand-new"
    status, body = curl_upload(url, token, archive, "1.0.0", "-H", "Transfer-Encoding: chunked")

    assert status == 411
    assert body["code"] == "LENGTH_REQUIRED"


def test_a_long_query_string_reaches_the_app_under_gunicorn_and_an_over_long_one_is_414_in_the_envelope(
    gunicorn_registry,
):
    server = gunicorn_registry
    auth = {"Authorization": f"Bearer {server.token}"}
    long_enough = server.get(f"/api/v0/organizations?note={'x' * 5000}", headers=auth)  # over gunicorn's default 4094
    too_long = server.get(f"/api/v0/organizations?note={'x' * 9000}", headers=auth)

    assert long_enough.status == 200
    assert [organization["name"] for organization in long_enough.json()] == ["acme"]
    assert too_long.status == 414
    assert too_long.headers["Content-Type"] == "application/json"
    assert too_long.json()["code"] == "URI_TOO_LONG"


@pytest.mark.django_db
def test_an_ordinary_upload_still_publishes(as_modeler, package):
    assert upload(as_modeler, version="1.0.0").status_code == 201
    assert Package.objects.get().name == "ledger"
