"""Versions: list, detail and archive status (golden shapes), and the streamed download."""

import base64
import hashlib

import pytest
from rest_framework.fields import DateTimeField

from packages_app.models import Version
from tests.api_v0.conftest import BASE, archive_for, upload
from tests.factories import make_version

pytestmark = pytest.mark.django_db

VERSIONS = f"{BASE}/packages/ledger/versions"


@pytest.fixture
def published(package):
    """ledger 1.0.0, 1.1.0 and 2.0.0, published through the services."""
    return {v: make_version(package, v) for v in ("1.0.0", "2.0.0", "1.1.0")}


def version_json(version: Version) -> dict:
    return {
        "id": version.version,
        "createdAt": version.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "updatedAt": version.updated_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "archiveStatus": version.archive_status,
        "indexStatus": version.index_status,
    }


def test_versions_are_listed_newest_first_in_the_golden_shape(as_viewer, published):
    response = as_viewer.get(VERSIONS, {"page": 1})
    assert response.status_code == 200
    assert response.headers["X-Total-Count"] == "3"
    assert response.json() == [version_json(published[v]) for v in ("2.0.0", "1.1.0", "1.0.0")]


def test_versions_are_paged_with_a_link_to_the_next_page(as_viewer, published):
    response = as_viewer.get(VERSIONS, {"limit": 2})
    assert [v["id"] for v in response.json()] == ["2.0.0", "1.1.0"]
    assert 'rel="next"' in response.headers["Link"]


def test_a_version_is_shown_in_the_golden_shape_with_digests_and_replica_health(as_viewer, published):
    version = published["1.1.0"]
    response = as_viewer.get(f"{VERSIONS}/1.1.0")
    assert response.status_code == 200
    assert response.json() == {
        **version_json(version),
        "sha256": version.artifact.sha256,
        "size": version.artifact.size,
        "indexError": None,
        # The primary copy was hashed on its way in; more copies appear once the replication task has run.
        "replicas": [
            {
                "location": "artifacts",
                "status": "healthy",
                "checkedAt": DateTimeField().to_representation(version.artifact.replicas.get().checked_at),
            }
        ],
    }


def test_an_unknown_version_is_404(as_viewer, published):
    response = as_viewer.get(f"{VERSIONS}/9.9.9")
    assert response.status_code == 404
    assert response.json()["details"] == {"resourceType": "version", "resourceId": "9.9.9"}


def test_archiving_the_latest_version_makes_the_next_highest_latest(as_modeler, published):
    response = as_modeler.patch(f"{VERSIONS}/2.0.0", {"archiveStatus": "archive"}, format="json")
    assert response.status_code == 200
    published["2.0.0"].refresh_from_db()
    assert response.json() == version_json(published["2.0.0"])
    assert response.json()["archiveStatus"] == "archive"
    assert as_modeler.get(f"{BASE}/packages/ledger").json()["latestVersion"] == "1.1.0"


def test_unarchiving_restores_the_latest_version(as_modeler, published):
    as_modeler.patch(f"{VERSIONS}/2.0.0", {"archiveStatus": "archive"}, format="json")
    as_modeler.patch(f"{VERSIONS}/2.0.0", {"archiveStatus": "unarchive"}, format="json")
    assert as_modeler.get(f"{BASE}/packages/ledger").json()["latestVersion"] == "2.0.0"


def test_an_empty_patch_answers_the_version_as_it_is(as_modeler, published):
    as_modeler.patch(f"{VERSIONS}/2.0.0", {"archiveStatus": "archive"}, format="json")
    response = as_modeler.patch(f"{VERSIONS}/2.0.0", {}, format="json")
    assert (response.status_code, response.json()["archiveStatus"]) == (200, "archive")


def test_a_viewer_cannot_send_even_an_empty_patch(as_viewer, published):
    assert as_viewer.patch(f"{VERSIONS}/2.0.0", {}, format="json").status_code == 403


def test_an_unknown_archive_status_is_400_naming_the_field(as_modeler, published):
    response = as_modeler.patch(f"{VERSIONS}/2.0.0", {"archiveStatus": "frozen"}, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("archiveStatus")


def test_a_viewer_cannot_archive(as_viewer, published):
    assert as_viewer.patch(f"{VERSIONS}/2.0.0", {"archiveStatus": "archive"}, format="json").status_code == 403


def download(client, version="1.0.0", **headers):
    return client.get(f"{VERSIONS}/{version}/download", **headers)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_download_streams_the_exact_bytes_as_an_attachment(as_viewer, published):
    response = download(as_viewer)
    data = archive_for("1.0.0")
    assert response.status_code == 200
    assert response.streaming
    assert body_of(response) == data
    assert response.headers["Content-Disposition"] == 'attachment; filename="ledger-1.0.0.zip"'
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_download_sends_digests_the_client_can_verify(as_viewer, published):
    response = download(as_viewer)
    data = body_of(response)
    sha256 = hashlib.sha256(data)
    assert response.headers["ETag"] == f'"{sha256.hexdigest()}"'
    assert response.headers["X-Checksum-Sha256"] == sha256.hexdigest()
    assert response.headers["X-Checksum-Md5"] == hashlib.md5(data).hexdigest()
    assert response.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(sha256.digest()).decode()}:"


def test_if_none_match_with_the_etag_is_304(as_viewer, published):
    etag = download(as_viewer).headers["ETag"]
    response = download(as_viewer, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.headers["ETag"] == etag


def test_if_none_match_with_another_etag_sends_the_file(as_viewer, published):
    assert download(as_viewer, HTTP_IF_NONE_MATCH='"other"').status_code == 200


@pytest.mark.parametrize(
    ("header", "start", "end"), [("bytes=0-9", 0, 9), ("bytes=10-", 10, None), ("bytes=-5", -5, None)]
)
def test_a_range_request_gets_206_with_those_bytes(as_viewer, published, header, start, end):
    data = archive_for("1.0.0")
    response = download(as_viewer, HTTP_RANGE=header)
    expected = data[start : None if end is None else end + 1]
    assert response.status_code == 206
    assert body_of(response) == expected
    assert response.headers["Content-Length"] == str(len(expected))
    first = start if start >= 0 else len(data) + start
    assert response.headers["Content-Range"] == f"bytes {first}-{first + len(expected) - 1}/{len(data)}"


def test_a_range_past_the_end_is_416(as_viewer, published):
    size = len(archive_for("1.0.0"))
    response = download(as_viewer, HTTP_RANGE=f"bytes={size}-")
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{size}"
    assert response.json()["code"] == "RANGE_NOT_SATISFIABLE"


def test_if_range_with_a_stale_etag_sends_the_whole_file(as_viewer, published):
    response = download(as_viewer, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"stale"')
    assert response.status_code == 200


def test_an_archived_version_stays_downloadable_by_number(as_modeler, published):
    as_modeler.patch(f"{VERSIONS}/1.0.0", {"archiveStatus": "archive"}, format="json")
    assert download(as_modeler).status_code == 200


def test_download_works_whatever_the_client_accepts(as_viewer, published):
    assert download(as_viewer, HTTP_ACCEPT="application/zip").status_code == 200


def test_a_missing_blob_is_503_and_reuploading_identical_bytes_restores_it(
    as_modeler, project, artifact_storage_in_tmp
):
    upload(as_modeler, version="1.0.0")
    blob = next(p for p in artifact_storage_in_tmp.rglob("*") if p.is_file())
    blob.unlink()
    assert download(as_modeler).status_code == 503
    assert upload(as_modeler, version="1.0.0").status_code == 200
    assert body_of(download(as_modeler)) == archive_for("1.0.0")


def test_a_stranger_cannot_download(as_stranger, published):
    assert download(as_stranger).status_code == 404


def test_a_failed_version_says_why_in_words(as_viewer, published):
    Version.objects.filter(pk=published["1.0.0"].pk).update(
        index_status="failed", index_error="entry ../../etc/passwd escapes the archive root"
    )
    response = as_viewer.get(f"{VERSIONS}/1.0.0")
    assert response.json()["indexError"] == "entry ../../etc/passwd escapes the archive root"
