"""Concurrent publishes on PostgreSQL: 20 threads through the publish service, each on its own connection."""

import hashlib
import io
import os
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


# --- Writes racing a DELETE of the same object ------------------------------------------------------
#
# Each race runs RACES times through the API, two requests (or a request and an indexing run) released
# together by a barrier, each thread on its own database connection. Whatever the interleaving, every
# answer is a clean one (204, 200 or 404 NOT_FOUND: never a 500, never a deadlock answered as 503), and
# nothing is left half-deleted. ``race_answers`` tallies what was answered, for the figures in
# docs/development.md ("Lock order"). CI runs 120 rounds of each (60 of a few); RACE_ROUNDS=300 runs more
# (docs/development.md gives the figures of such a run).

RACES = int(os.environ.get("RACE_ROUNDS", 120))


@pytest.fixture
def race_answers():
    """``(race name) -> Counter of answers``; printed at the end of the test (run with -s to see them)."""
    from collections import Counter, defaultdict

    tallies: dict[str, Counter] = defaultdict(Counter)
    yield tallies
    for name, tally in tallies.items():
        print(f"\n{name}: {dict(sorted(tally.items()))}")


@pytest.fixture
def racing_admin(client_for):
    """``(admin_of, first, second)``: make the racer an organization's admin; an API client of theirs for
    each of the two racing threads (a client is never shared between threads)."""
    from tests.factories import GrantFactory

    admin = UserFactory(username="racer")

    def admin_of(organization):
        GrantFactory(organization=organization, user=admin, role="admin")

    return admin_of, client_for(admin, name="first"), client_for(admin, name="second")


@pytest.fixture
def one_artifact():
    """One stored archive every raced version shares (storing it once keeps the iterations cheap)."""
    from packages_app.blobs import digest_stream, store_artifact
    from tests.indexing.conftest import rich_archive

    stream = io.BytesIO(rich_archive())
    return store_artifact(stream=stream, digests=digest_stream(stream), media_type="application/zip")


def answer(response) -> str:
    """``204``, or ``404 NOT_FOUND``: the status with the envelope's code, for tallies and assertions."""
    if response.status_code == 204:
        return "204"
    code = response.json().get("code") if response.get("Content-Type", "").startswith("application/json") else None
    return f"{response.status_code} {code}" if code else str(response.status_code)


def race(*calls, jitter: float = 0.0):
    """Release ``calls`` together (the second after a random pause up to ``jitter`` s); their results."""
    import random

    barrier = threading.Barrier(len(calls))

    def run(index_and_call):
        index, call = index_and_call
        barrier.wait()
        if index and jitter:
            time.sleep(random.uniform(0, jitter))
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, enumerate(calls)))


def fresh_package(project, artifact, name: str) -> tuple[Package, Version]:
    from packages_app.publishing import create_version
    from tests.factories import PackageFactory

    package = PackageFactory(project=project, name=name)
    return package, create_version(package=package, version="1.0.0", artifact=artifact, author=None)


@pytest.fixture
def raced_project(racing_admin):
    admin_of, *_ = racing_admin
    project = ProjectFactory(organization=OrganizationFactory(name="acme"), name="finance")
    admin_of(project.organization)
    return project


def test_two_deletes_of_one_package_answer_one_204_and_one_404(raced_project, racing_admin, one_artifact, race_answers):
    _, first, second = racing_admin
    for i in range(RACES):
        fresh_package(raced_project, one_artifact, f"p{i}")
        url = f"/api/v0/organizations/acme/projects/finance/packages/p{i}"
        answers = race(lambda url=url: answer(first.delete(url)), lambda url=url: answer(second.delete(url)))
        race_answers["DELETE package x DELETE package"].update(answers)
        assert sorted(answers) == ["204", "404 NOT_FOUND"], answers
    assert not Package.objects.exists()


def test_a_patch_racing_a_delete_of_its_package_answers_200_or_404(
    raced_project, racing_admin, one_artifact, race_answers
):
    _, first, second = racing_admin
    for i in range(RACES):
        fresh_package(raced_project, one_artifact, f"p{i}")
        url = f"/api/v0/organizations/acme/projects/finance/packages/p{i}"
        deleted, patched = race(
            lambda url=url: answer(first.delete(url)),
            lambda url=url: answer(second.patch(url, {"description": "changed"}, format="json")),
            jitter=0.02,
        )
        race_answers["DELETE package x PATCH package"].update([f"DELETE {deleted}", f"PATCH {patched}"])
        assert deleted == "204"
        assert patched in ("200", "404 NOT_FOUND")
    assert not Package.objects.exists()


def test_an_archive_racing_a_delete_of_its_package_answers_200_or_404_and_never_deadlocks(
    raced_project, racing_admin, one_artifact, race_answers
):
    _, first, second = racing_admin
    for i in range(RACES):
        fresh_package(raced_project, one_artifact, f"p{i}")
        url = f"/api/v0/organizations/acme/projects/finance/packages/p{i}"
        deleted, archived = race(
            lambda url=url: answer(first.delete(url)),
            lambda url=url: answer(second.patch(f"{url}/versions/1.0.0", {"archiveStatus": "archive"}, format="json")),
            jitter=0.02,
        )
        race_answers["DELETE package x archive version"].update([f"DELETE {deleted}", f"PATCH {archived}"])
        assert deleted == "204"
        assert archived in ("200", "404 NOT_FOUND")
    assert not Version.objects.exists()


def test_a_delete_racing_the_indexing_of_a_just_published_version_answers_204_and_leaves_no_entry(
    raced_project, racing_admin, one_artifact, race_answers
):
    from packages_app.indexing import index_version
    from packages_app.models import IndexEntry

    *_, second = racing_admin
    for i in range(RACES):
        _, version = fresh_package(raced_project, one_artifact, f"p{i}")
        url = f"/api/v0/organizations/acme/projects/finance/packages/p{i}"
        indexed, deleted = race(
            lambda v=version.pk: index_version(version_id=v),
            lambda url=url: answer(second.delete(url)),
            jitter=0.05,
        )
        race_answers["indexing x DELETE package"].update([f"index {indexed}", f"DELETE {deleted}"])
        assert deleted == "204"
        assert indexed in ("indexed", "skipped")
    assert not Version.objects.exists()
    assert not IndexEntry.objects.exists()


def test_a_publish_racing_a_delete_of_its_project_answers_201_or_404_and_never_deadlocks(racing_admin, race_answers):
    admin_of, first, second = racing_admin
    organization = OrganizationFactory(name="acme")
    admin_of(organization)
    data = archive_for("1.0.0")
    for i in range(RACES // 2):
        ProjectFactory(organization=organization, name=f"p{i}")
        base = f"/api/v0/organizations/acme/projects/p{i}"
        published, deleted = race(
            lambda base=base: answer(upload(first, data=data, base=base)),
            lambda base=base: answer(second.delete(base)),
            jitter=0.03,
        )
        race_answers["publish x DELETE project"].update([f"publish {published}", f"DELETE {deleted}"])
        assert deleted == "204"
        assert published in ("201", "404 NOT_FOUND")
    assert not Package.objects.exists()


@pytest.mark.parametrize("level", ["organization", "project"])
def test_two_deletes_of_one_organization_or_project_answer_one_204_and_one_404(level, racing_admin, race_answers):
    admin_of, first, second = racing_admin
    for i in range(RACES // 2):
        organization = OrganizationFactory(name=f"o{i}")
        admin_of(organization)
        ProjectFactory(organization=organization, name="p")
        url = f"/api/v0/organizations/o{i}" + ("/projects/p" if level == "project" else "")
        answers = race(lambda url=url: answer(first.delete(url)), lambda url=url: answer(second.delete(url)))
        race_answers[f"DELETE {level} x DELETE {level}"].update(answers)
        assert sorted(answers) == ["204", "404 NOT_FOUND"], answers


@pytest.mark.parametrize("level", ["organization", "project"])
def test_a_patch_racing_a_delete_of_its_organization_or_project_answers_200_or_404(level, racing_admin, race_answers):
    admin_of, first, second = racing_admin
    for i in range(RACES):
        organization = OrganizationFactory(name=f"o{i}")
        admin_of(organization)
        ProjectFactory(organization=organization, name="p")
        url = f"/api/v0/organizations/o{i}" + ("/projects/p" if level == "project" else "")
        deleted, patched = race(
            lambda url=url: answer(first.delete(url)),
            lambda url=url: answer(second.patch(url, {"description": "changed"}, format="json")),
            jitter=0.05,
        )
        race_answers[f"DELETE {level} x PATCH {level}"].update([f"DELETE {deleted}", f"PATCH {patched}"])
        assert deleted == "204"
        assert patched in ("200", "404 NOT_FOUND")


# --- A publish whose dependencies resolve to a package racing a DELETE of that package ---------------
#
# Whoever goes first, the answers are those of one order or the other: the publish lands (201) and the
# delete is refused (409 PACKAGE_IN_USE), or the delete lands (204) and the publish is refused as a
# publish naming a missing dependency is (400 DEPENDENCY_NOT_FOUND). Never a foreign-key violation at
# commit (500), never a deadlock (503), and never a version without its whole lock.

DEPENDENCY_RACES = max(100, RACES)  # per level: 300 races in all, at least


def dependency_to_delete(level: str, i: int, artifact, admin_of) -> tuple[str, str]:
    """``(reference, delete url)``: package ``a`` at 1.0.0, alone in its project (and organization, for the
    organization level), so that deleting the level takes it and nothing of the publishing project."""
    from packages_app.publishing import create_version
    from registry.models import Organization
    from tests.factories import PackageFactory

    organization_name = f"o{i}" if level == "organization" else "acme"
    if level == "organization":
        organization = OrganizationFactory(name=organization_name)
        admin_of(organization)
    else:
        organization = Organization.objects.get(name="acme")
    project = ProjectFactory(organization=organization, name=f"lib{i}")
    package = PackageFactory(project=project, name="a")
    create_version(package=package, version="1.0.0", artifact=artifact, author=None)
    reference = f"{organization_name}/lib{i}/a"
    url = f"/api/v0/organizations/{organization_name}"
    if level != "organization":
        url += f"/projects/lib{i}"
    if level == "package":
        url += "/packages/a"
    return reference, url


@pytest.mark.parametrize("level", ["package", "project", "organization"])
def test_a_publish_depending_on_a_package_racing_its_delete_gives_one_order_s_answers_and_a_whole_lock_or_nothing(
    level, raced_project, racing_admin, one_artifact, race_answers
):
    from packages_app.models import Dependency, LockEntry, UsedVersionNumber

    admin_of, first, second = racing_admin
    for client in (first, second):
        client.raise_request_exception = False  # a 500 is an answer to count, not an exception in a thread
    for i in range(DEPENDENCY_RACES):
        reference, url = dependency_to_delete(level, i, one_artifact, admin_of)
        data = archive_for("1.0.0", f"b{i}", dependencies={reference: "^1.0.0"})
        published, deleted = race(
            lambda i=i, data=data: answer(upload(first, package=f"b{i}", data=data)),
            lambda url=url: answer(second.delete(url)),
            jitter=0.1,
        )
        race_answers[f"publish B(-> A) x DELETE {level} of A"].update([f"publish {published}", f"DELETE {deleted}"])
        assert (published, deleted) in [("201", "409 PACKAGE_IN_USE"), ("400 DEPENDENCY_NOT_FOUND", "204")], (
            published,
            deleted,
        )
        published_version = Version.objects.filter(package__project=raced_project, package__name=f"b{i}").first()
        if published == "201":
            assert list(Dependency.objects.filter(version=published_version).values_list("reference", flat=True)) == [
                reference
            ]
            locked = LockEntry.objects.filter(root=published_version).values_list(
                "resolved__package__name", "resolved__version"
            )
            assert list(locked) == [("a", "1.0.0")]
        else:
            assert published_version is None
            assert not Package.objects.filter(project=raced_project, name=f"b{i}").exists()
            assert not UsedVersionNumber.objects.filter(package_name=f"b{i}").exists()


def test_two_packages_published_at_once_each_depending_on_the_other_both_land_without_a_deadlock(
    raced_project, racing_admin, one_artifact, race_answers
):
    """Each publish holds its own package row and takes a key share on the other's: the package lock must
    be FOR NO KEY UPDATE, which a key share does not wait for (FOR UPDATE deadlocked most rounds)."""
    _, first, second = racing_admin
    for i in range(RACES // 2):
        for name in (f"x{i}", f"y{i}"):
            fresh_package(raced_project, one_artifact, name)
        x_data = archive_for("2.0.0", f"x{i}", dependencies={f"y{i}": "^1.0.0"})
        y_data = archive_for("2.0.0", f"y{i}", dependencies={f"x{i}": "^1.0.0"})
        answers = race(
            lambda i=i, data=x_data: answer(upload(first, package=f"x{i}", version="2.0.0", data=data)),
            lambda i=i, data=y_data: answer(upload(second, package=f"y{i}", version="2.0.0", data=data)),
            jitter=0.02,
        )
        race_answers["publish x(-> y) x publish y(-> x)"].update(answers)
        assert answers == ["201", "201"]
