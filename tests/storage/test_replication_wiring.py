"""replicationCount through the API: validated, honoured after publish, reported, and swept with the artifact."""

import pytest
from django.core.files.storage import storages

from packages_app.blobs import sweep_orphan_blobs
from packages_app.models import Artifact, ArtifactReplica, artifact_key
from packages_app.services import PackageChanges, update_package
from registry.models import Role
from tests.api_v0.conftest import BASE, seed_package_part, upload
from tests.factories import make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_modeler(client_for, user, project, grant):
    grant(project, Role.MODELER, user=user)
    return client_for(user)


def test_an_upload_with_three_copies_leaves_three_healthy_copies_after_commit(
    as_modeler, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(as_modeler, package_part=seed_package_part(replicationCount=3))
    assert response.status_code == 201
    artifact = Artifact.objects.get()
    statuses = dict(ArtifactReplica.objects.filter(artifact=artifact).values_list("location", "status"))
    assert statuses == {"artifacts": "healthy", "replica-1": "healthy", "replica-2": "healthy"}
    assert storages["replica-2"].exists(artifact_key(artifact.sha256))


def test_the_version_api_reports_each_copy(as_modeler, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(as_modeler, package_part=seed_package_part(replicationCount=2))
    storages["replica-1"].delete(artifact_key(Artifact.objects.get().sha256))
    from packages_app.replication import verify_replicas

    ArtifactReplica.objects.update(checked_at=None)
    verify_replicas(batch_size=10)
    body = as_modeler.get(f"{BASE}/packages/ledger/versions/1.0.0").json()
    assert [(r["location"], r["status"]) for r in body["replicas"]] == [
        ("artifacts", "healthy"),
        ("replica-1", "healthy"),  # found missing and repaired in the same run
    ]


def test_more_copies_than_locations_is_a_clear_400(as_modeler):
    response = upload(as_modeler, package_part=seed_package_part(replicationCount=4))
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert response.json()["details"] == {
        "fields": {"replicationCount": ["4 copies were asked for but only 3 storage locations are configured"]},
        "requested": 4,
        "available": 3,
    }
    assert not Artifact.objects.exists()


def test_raising_the_count_copies_the_existing_versions(package, django_capture_on_commit_callbacks):
    version = make_version(package, "1.0.0")
    with django_capture_on_commit_callbacks(execute=True):
        update_package(package=package, changes=PackageChanges(replication_count=2))
    assert storages["replica-1"].exists(artifact_key(version.artifact.sha256))


def test_the_orphan_sweep_removes_every_copy_of_an_unreferenced_artifact(package, django_capture_on_commit_callbacks):
    version = make_version(package, "1.0.0")
    package.replication_count = 3
    package.save()
    from packages_app.replication import replicate_artifact

    replicate_artifact(artifact_id=version.artifact_id)
    key = artifact_key(version.artifact.sha256)
    version.delete()
    with django_capture_on_commit_callbacks(execute=True):
        report = sweep_orphan_blobs(grace_seconds=0)
    assert report.artifacts_deleted == [version.artifact.sha256]
    assert not any(storages[location].exists(key) for location in ("artifacts", "replica-1", "replica-2"))


def test_an_upload_with_one_copy_records_its_primary_copy_healthy_without_a_replication_task(
    as_modeler, django_capture_on_commit_callbacks, monkeypatch
):
    from packages_app import tasks

    sent = []
    monkeypatch.setattr(tasks.replicate_artifact_task, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(as_modeler).status_code == 201
    assert sent == []
    replica = ArtifactReplica.objects.get()
    assert (replica.location, replica.status) == ("artifacts", "healthy")
    assert replica.checked_at is not None
