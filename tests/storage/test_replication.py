"""Replicas are real copies: made, checked, repaired, and used when the primary is bad."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages

from packages_app.models import ArtifactReplica, ReplicaStatus, artifact_key
from packages_app.replication import (
    open_healthy_copy,
    replicate_artifact,
    validate_replication_count,
    verify_replicas,
)
from registry.errors import RegistryError
from tests.factories import PackageFactory, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def replicated(project):
    package = PackageFactory(project=project, name="replicated", replication_count=3)
    version = make_version(package, "1.0.0")
    replicate_artifact(artifact_id=version.artifact_id)
    return version.artifact


def stored_bytes(location, artifact):
    with storages[location].open(artifact_key(artifact.sha256), "rb") as handle:
        return handle.read()


def overwrite(location, artifact, data: bytes):
    storage, key = storages[location], artifact_key(artifact.sha256)
    storage.delete(key)
    storage.save(key, ContentFile(data))


def test_replication_puts_a_verified_copy_in_as_many_locations_as_the_package_asks(replicated):
    replicas = {r.location: r.status for r in ArtifactReplica.objects.filter(artifact=replicated)}
    assert replicas == {"artifacts": "healthy", "replica-1": "healthy", "replica-2": "healthy"}
    original = stored_bytes("artifacts", replicated)
    assert stored_bytes("replica-1", replicated) == original
    assert stored_bytes("replica-2", replicated) == original


def test_a_package_with_one_copy_gets_no_replicas(package):
    version = make_version(package, "1.0.0")
    replicate_artifact(artifact_id=version.artifact_id)
    assert list(ArtifactReplica.objects.values_list("location", flat=True)) == ["artifacts"]


def test_the_integrity_check_repairs_a_deleted_replica(replicated):
    storages["replica-1"].delete(artifact_key(replicated.sha256))
    report = verify_replicas(batch_size=10)
    assert report.repaired == [f"{replicated.sha256}@replica-1"]
    assert stored_bytes("replica-1", replicated) == stored_bytes("artifacts", replicated)


def test_the_integrity_check_repairs_a_corrupt_primary_from_a_replica(replicated):
    good = stored_bytes("replica-2", replicated)
    overwrite("artifacts", replicated, b"x" * len(good))
    report = verify_replicas(batch_size=10)
    assert f"{replicated.sha256}@artifacts" in report.repaired
    assert stored_bytes("artifacts", replicated) == good
    assert ArtifactReplica.objects.get(artifact=replicated, location="artifacts").status == ReplicaStatus.HEALTHY


def test_a_blob_with_no_healthy_copy_left_is_reported_not_invented(package):
    version = make_version(package, "1.0.0")
    replicate_artifact(artifact_id=version.artifact_id)
    storages["artifacts"].delete(artifact_key(version.artifact.sha256))
    report = verify_replicas(batch_size=10)
    assert report.unrepairable == [f"{version.artifact.sha256}@artifacts"]
    assert ArtifactReplica.objects.get(artifact=version.artifact).status == ReplicaStatus.MISSING


def test_two_integrity_runs_never_overlap(replicated):
    from django.core.cache import cache

    from packages_app.replication import VERIFY_LOCK_KEY

    cache.add(VERIFY_LOCK_KEY, "1")
    assert verify_replicas(batch_size=10) is None


def test_the_check_handles_a_bounded_batch_least_recently_checked_first(replicated):
    first = verify_replicas(batch_size=2)
    second = verify_replicas(batch_size=2)
    assert (first.checked, second.checked) == (2, 2)
    assert ArtifactReplica.objects.filter(checked_at__isnull=False).count() == 3


def test_a_missing_primary_is_served_from_a_replica(replicated):
    good = stored_bytes("artifacts", replicated)
    storages["artifacts"].delete(artifact_key(replicated.sha256))
    location, handle = open_healthy_copy(replicated)
    with handle:
        assert (location, handle.read()) == ("replica-1", good)


def test_a_silently_corrupted_primary_is_not_served(replicated):
    good = stored_bytes("artifacts", replicated)
    overwrite("artifacts", replicated, b"y" * len(good))
    location, handle = open_healthy_copy(replicated)
    with handle:
        assert (location, handle.read()) == ("replica-1", good)


def test_no_readable_copy_is_503_storage_unavailable(package):
    version = make_version(package, "1.0.0")
    storages["artifacts"].delete(artifact_key(version.artifact.sha256))
    with pytest.raises(RegistryError) as raised:
        open_healthy_copy(version.artifact)
    assert (raised.value.status, raised.value.code) == (503, "STORAGE_UNAVAILABLE")


def test_asking_for_more_copies_than_locations_is_a_clear_validation_error():
    with pytest.raises(RegistryError) as raised:
        validate_replication_count(4)
    assert raised.value.status == 400
    assert raised.value.details == {
        "fields": {"replicationCount": ["4 copies were asked for but only 3 storage locations are configured"]},
        "requested": 4,
        "available": 3,
    }


def test_a_copy_found_corrupt_is_never_served_unverified(replicated, settings):
    """Above REGISTRY_DOWNLOAD_VERIFY_MAX_BYTES a copy is only size-checked: when the only copy left is
    one the integrity check found corrupt, the answer is 503, not those bytes."""
    settings.REGISTRY_DOWNLOAD_VERIFY_MAX_BYTES = 0
    good = stored_bytes("artifacts", replicated)
    overwrite("artifacts", replicated, b"y" * len(good))
    for location in ("replica-1", "replica-2"):
        storages[location].delete(artifact_key(replicated.sha256))
    ArtifactReplica.objects.filter(artifact=replicated, location="artifacts").update(status=ReplicaStatus.CORRUPT)
    with pytest.raises(RegistryError) as raised:
        open_healthy_copy(replicated)
    assert raised.value.status == 503


def test_indexing_reads_a_verified_copy_whatever_the_archive_size(replicated, settings):
    from packages_app.indexing.service import _read_verified
    from packages_app.models import Version

    settings.REGISTRY_DOWNLOAD_VERIFY_MAX_BYTES = 0
    good = stored_bytes("artifacts", replicated)
    overwrite("artifacts", replicated, b"y" * len(good))  # same size: only a hash tells
    with _read_verified(Version.objects.get(artifact=replicated)) as handle:
        assert handle.read() == good
