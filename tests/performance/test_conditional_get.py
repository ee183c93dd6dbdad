"""Every read carries an ETag and answers a matching If-None-Match with 304, and it is always computed
from what the view answers now, after authentication and the permission checks: nothing is cached."""

import pytest

from packages_app.models import IndexStatus, Version
from registry.models import Grant
from tests.api_v0.conftest import BASE, upload
from tests.factories import UserFactory, make_version

pytestmark = pytest.mark.django_db

PACKAGE = f"{BASE}/packages/ledger"


@pytest.mark.parametrize(
    "path",
    ["", "/packages", "/packages/ledger", "/packages/ledger/versions", "/packages/ledger/versions/1.0.0"],
    ids=["project", "package list", "package detail", "version list", "version detail"],
)
def test_every_v0_read_has_an_etag_and_answers_a_matching_if_none_match_with_304(as_viewer, package, path):
    make_version(package, "1.0.0")
    first = as_viewer.get(f"{BASE}{path}")
    assert first.status_code == 200
    etag = first["ETag"]
    again = as_viewer.get(f"{BASE}{path}", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.content == b""


def test_a_list_answers_304_only_for_the_same_page(as_viewer, package):
    for number in ("1.0.0", "1.1.0", "1.2.0"):
        make_version(package, number)
    etag = as_viewer.get(f"{PACKAGE}/versions?limit=2")["ETag"]
    assert as_viewer.get(f"{PACKAGE}/versions?limit=2&page=2", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_change_of_index_status_made_outside_any_request_is_read_at_once_with_a_new_etag(as_viewer, package):
    version = make_version(package, "1.0.0")
    url = f"{PACKAGE}/versions/1.0.0"
    before = as_viewer.get(url)
    assert before.json()["indexStatus"] == IndexStatus.UNKNOWN
    # As an indexing worker does: a queryset update, no request, no signal.
    Version.objects.filter(pk=version.pk).update(index_status=IndexStatus.INDEXED)
    after = as_viewer.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after.json()["indexStatus"] == IndexStatus.INDEXED
    assert after["ETag"] != before["ETag"]
    detail = as_viewer.get(PACKAGE)
    assert detail.json()["indexStatus"] == IndexStatus.INDEXED


def test_the_etag_changes_when_the_package_does(as_modeler, as_viewer, package):
    etag = as_viewer.get(PACKAGE)["ETag"]
    as_modeler.patch(PACKAGE, {"description": "changed"}, format="json")
    response = as_viewer.get(PACKAGE, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["description"] == "changed"


def test_a_publish_through_the_api_is_visible_to_the_next_read(as_modeler, as_viewer, package):
    make_version(package, "1.0.0")
    etag = as_viewer.get(PACKAGE)["ETag"]
    assert upload(as_modeler, version="1.1.0").status_code == 201
    response = as_viewer.get(PACKAGE, HTTP_IF_NONE_MATCH=etag)
    assert response.json()["latestVersion"] == "1.1.0"
    assert [v["id"] for v in as_viewer.get(f"{PACKAGE}/versions").json()] == ["1.1.0", "1.0.0"]


def test_a_revoked_grant_answers_404_even_to_a_client_holding_the_etag(client_for, project, grant, package):
    reader = UserFactory(username="reader", email="reader@example.com")
    grant(project, "viewer", user=reader)
    as_reader = client_for(reader)
    etag = as_reader.get(PACKAGE)["ETag"]
    Grant.objects.filter(user=reader).delete()  # as the shell or a bulk update would: no service, no hook
    assert as_reader.get(PACKAGE, HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_a_download_keeps_the_sha256_as_its_etag_and_answers_304_without_opening_the_file(
    as_viewer, package, monkeypatch
):
    version = make_version(package, "1.0.0")
    download = f"{PACKAGE}/versions/1.0.0/download"
    first = as_viewer.get(download)
    assert first["ETag"] == f'"{version.artifact.sha256}"'

    def no_file(*args, **kwargs):
        raise AssertionError("a 304 needs no file")

    monkeypatch.setattr("packages_app.api.views.open_healthy_copy", no_file)
    response = as_viewer.get(download, HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304
    assert response["ETag"] == first["ETag"]
    assert response["X-Checksum-Sha256"] == version.artifact.sha256


def test_a_deleted_version_is_404_for_a_client_holding_its_etag(client_for, project, grant, package):
    admin = UserFactory(username="boss", email="boss@example.com")
    grant(project, "admin", user=admin)
    as_admin = client_for(admin)
    make_version(package, "1.0.0")
    download = f"{PACKAGE}/versions/1.0.0/download"
    etag = as_admin.get(download)["ETag"]
    assert as_admin.delete(PACKAGE).status_code == 204
    assert as_admin.get(download, HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_an_error_is_never_turned_into_a_304(as_viewer, package):
    missing = f"{PACKAGE}/versions/9.9.9"
    etag = as_viewer.get(missing).get("ETag")
    assert as_viewer.get(missing, HTTP_IF_NONE_MATCH=etag or "*").status_code == 404
