"""Artifacts on an S3-compatible store, switched on by settings alone."""

import io
import time
import urllib.request

import pytest
from django.core.files.storage import storages

from packages_app.blobs import digest_stream, store_artifact
from packages_app.models import artifact_key
from packages_app.replication import open_healthy_copy, replicate_artifact, verify_replicas
from packages_app.storage import renew_blob
from tests.factories import PackageFactory, make_version

pytestmark = pytest.mark.django_db


def test_an_artifact_is_stored_in_the_bucket_under_its_digest(s3_storages):
    client, buckets = s3_storages
    data = b"PK\x03\x04 an archive"
    artifact = store_artifact(stream=io.BytesIO(data), digests=digest_stream(io.BytesIO(data)))
    stored = client.get_object(Bucket=buckets["artifacts"], Key=artifact_key(artifact.sha256))["Body"].read()
    assert stored == data


def test_identical_bytes_on_s3_share_one_blob(s3_storages):
    client, buckets = s3_storages
    data = b"same bytes"
    first = store_artifact(stream=io.BytesIO(data), digests=digest_stream(io.BytesIO(data)))
    second = store_artifact(stream=io.BytesIO(data), digests=digest_stream(io.BytesIO(data)))
    listed = client.list_objects_v2(Bucket=buckets["artifacts"])["KeyCount"]
    assert (first.pk, listed) == (second.pk, 1)


def test_replicas_on_s3_are_repaired_after_a_delete(s3_storages, project):
    client, buckets = s3_storages
    version = make_version(PackageFactory(project=project, replication_count=2), "1.0.0")
    replicate_artifact(artifact_id=version.artifact_id)
    key = artifact_key(version.artifact.sha256)
    client.delete_object(Bucket=buckets["replica-1"], Key=key)
    report = verify_replicas(batch_size=10)
    assert report.repaired == [f"{version.artifact.sha256}@replica-1"]
    assert client.head_object(Bucket=buckets["replica-1"], Key=key)["ContentLength"] == version.artifact.size


def test_a_missing_primary_on_s3_is_served_from_the_replica_bucket(s3_storages, project):
    client, buckets = s3_storages
    version = make_version(PackageFactory(project=project, replication_count=2), "1.0.0")
    replicate_artifact(artifact_id=version.artifact_id)
    client.delete_object(Bucket=buckets["artifacts"], Key=artifact_key(version.artifact.sha256))
    location, handle = open_healthy_copy(version.artifact)
    with handle:
        assert location == "replica-1"
        assert len(handle.read()) == version.artifact.size


def test_a_signed_url_fetches_the_blob_and_expires(s3_storages, project, settings):
    version = make_version(PackageFactory(project=project), "1.0.0")
    url = storages["artifacts"].url(artifact_key(version.artifact.sha256))
    assert "X-Amz-Expires=" + str(settings.REGISTRY_SIGNED_URL_SECONDS) in url
    with urllib.request.urlopen(url) as response:
        assert len(response.read()) == version.artifact.size


def test_an_api_download_on_s3_redirects_to_a_signed_url_when_enabled(
    s3_storages, project, settings, client_for, user, grant
):
    from registry.models import Role

    settings.REGISTRY_DOWNLOAD_REDIRECT = True
    grant(project, Role.VIEWER, user=user)
    package = PackageFactory(project=project, name="ledger")
    version = make_version(package, "1.0.0")
    response = client_for(user).get(
        "/api/v0/organizations/acme/projects/finance/packages/ledger/versions/1.0.0/download"
    )
    assert response.status_code == 302
    assert response["ETag"] == f'"{version.artifact.sha256}"'
    with urllib.request.urlopen(response["Location"]) as fetched:
        assert fetched.headers["Content-Disposition"] == 'attachment; filename="ledger-1.0.0.zip"'
        assert len(fetched.read()) == version.artifact.size


def test_an_api_download_on_s3_streams_when_redirects_are_off(s3_storages, project, client_for, user, grant):
    from registry.models import Role

    grant(project, Role.VIEWER, user=user)
    version = make_version(PackageFactory(project=project, name="ledger"), "1.0.0")
    response = client_for(user).get(
        "/api/v0/organizations/acme/projects/finance/packages/ledger/versions/1.0.0/download"
    )
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) == version.artifact.size


def test_renewing_a_blob_on_s3_rewrites_the_object_under_the_storage_location(s3_storages, settings):
    client, buckets = s3_storages
    artifacts = settings.STORAGES["artifacts"]
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {**artifacts, "OPTIONS": {**artifacts["OPTIONS"], "location": "registry"}},
    }
    storage = storages["artifacts"]
    storage.save("sha256/ab/blob", io.BytesIO(b"reused"))
    before = client.head_object(Bucket=buckets["artifacts"], Key="registry/sha256/ab/blob")["LastModified"]

    time.sleep(1.1)  # S3 dates objects to the second
    assert renew_blob(storage, "sha256/ab/blob") is True

    after = client.head_object(Bucket=buckets["artifacts"], Key="registry/sha256/ab/blob")["LastModified"]
    assert after > before
