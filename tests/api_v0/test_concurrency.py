"""Concurrent publishes on PostgreSQL: 20 threads through the publish service, each on its own connection."""

import hashlib
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from packages_app.blobs import Digests
from packages_app.models import Artifact, Package, Version
from packages_app.services import PackageChanges, UploadedArchive, publish_package
from registry.errors import RegistryError
from tests.api_v0.conftest import archive_for, upload
from tests.factories import OrganizationFactory, ProjectFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


@pytest.fixture
def setting():
    project = ProjectFactory(organization=OrganizationFactory(name="acme"), name="finance")
    return project, UserFactory(username="publisher")


def publish(project, author, version: str, data: bytes):
    digests = Digests(sha256=hashlib.sha256(data).hexdigest(), md5=hashlib.md5(data).hexdigest(), size=len(data))
    return publish_package(
        project=project,
        name="ledger",
        author=author,
        changes=PackageChanges(),
        version=version,
        upload=UploadedArchive(stream=io.BytesIO(data), digests=digests),
    )


def run_together(calls):
    """Start every call at the same moment; each result is the PublishResult or the RegistryError."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        except RegistryError as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_twenty_identical_uploads_of_a_new_version_all_succeed_with_one_version_and_one_artifact(setting):
    project, author = setting
    data = archive_for("1.0.0")
    results = run_together([lambda: publish(project, author, "1.0.0", data)] * THREADS)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(r.version_created for r in results) == 1
    assert sum(r.package_created for r in results) == 1
    assert Package.objects.count() == 1
    assert Version.objects.count() == 1
    assert Artifact.objects.count() == 1


def test_twenty_uploads_of_one_version_with_different_bytes_give_one_winner_and_409s(setting):
    project, author = setting
    variants = [archive_for("1.0.0", description=f"variant {i}") for i in range(THREADS)]
    results = run_together([lambda d=d: publish(project, author, "1.0.0", d) for d in variants])
    winners = [i for i, r in enumerate(results) if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, RegistryError)]
    assert len(winners) == 1
    assert len(losers) == THREADS - 1
    assert {(e.code, e.status) for e in losers} == {("VERSION_EXISTS", 409)}
    stored = Version.objects.select_related("artifact").get()
    assert stored.artifact.sha256 == hashlib.sha256(variants[winners[0]]).hexdigest()


def test_twenty_uploads_of_different_versions_all_land_and_latest_is_the_highest(setting):
    project, author = setting
    versions = [f"1.{i}.0" for i in range(THREADS)]
    results = run_together([lambda v=v: publish(project, author, v, archive_for(v)) for v in versions])
    assert all(not isinstance(r, Exception) for r in results), results
    assert Version.objects.count() == THREADS
    package = Package.objects.with_latest().get()
    assert package.latest_version_string == f"1.{THREADS - 1}.0"


def test_a_publish_holding_its_package_lock_leaves_the_project_and_organization_rows_unlocked(setting):
    """A lock query with joins (the default ordering brings two) would lock the joined rows too, and
    serialize every publish in the organization behind the one in flight."""
    from django.db import connections, transaction

    project, author = setting
    publish(project, author, "1.0.0", archive_for("1.0.0"))
    package = Package.objects.get()
    with transaction.atomic():
        Package.objects.select_for_update().named(project, "LEDGER").first()
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT id FROM registry_project WHERE id = %s FOR UPDATE NOWAIT", [project.pk])
                cursor.execute(
                    "SELECT id FROM registry_organization WHERE id = %s FOR UPDATE NOWAIT", [project.organization_id]
                )
                with pytest.raises(Exception, match="could not obtain lock"):
                    cursor.execute("SELECT id FROM packages_app_package WHERE id = %s FOR UPDATE NOWAIT", [package.pk])
        finally:
            other.close()


def test_a_publish_that_waited_for_the_package_lock_answers_with_the_latest_version_committed_meanwhile(
    setting, client_for, grant
):
    project, author = setting
    publish(project, author, "1.0.0", archive_for("1.0.0"))
    grant(project, "modeler", user=author)
    holding, release = threading.Event(), threading.Event()

    def publish_2_0_0_holding_the_lock():
        try:
            with transaction.atomic():
                Package.objects.select_for_update().filter(name="ledger").order_by().get()
                publish(project, author, "2.0.0", archive_for("2.0.0"))
                holding.set()
                release.wait(60)
        finally:
            connection.close()

    answers = []

    def publish_1_5_0_through_the_api():
        holding.wait(60)
        try:
            answers.append(upload(client_for(author), version="1.5.0"))
        finally:
            connection.close()

    first = threading.Thread(target=publish_2_0_0_holding_the_lock)
    second = threading.Thread(target=publish_1_5_0_through_the_api)
    first.start()
    second.start()
    holding.wait(60)
    time.sleep(0.5)  # the second publish is now waiting for the package row
    release.set()
    first.join()
    second.join()
    (answer,) = answers
    assert answer.status_code == 201, answer.content
    assert answer.json()["latestVersion"] == "2.0.0"  # not the 1.0.0 its lock statement's snapshot held
