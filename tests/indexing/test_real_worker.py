"""Indexing by real Celery worker processes on Redis and PostgreSQL (skipped without TEST_REDIS_URL)."""

import os
import shutil
import signal
import time
import uuid

import pytest
from django.db import transaction

from packages_app.indexing.extract import extract_entries
from packages_app.models import IndexEntry, IndexStatus, Version
from packages_app.tasks import schedule_indexing
from tests.factories import make_version

from .conftest import rich_archive
from .workers import PrivateRedis, Worker, celery_sending_to, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue():
    return f"indexing-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def workers(tmp_path, queue):
    """Start workers with ``start(broker, **env)``; all are stopped at the end of the test."""
    started: list[Worker] = []

    def start(broker: str, **env: str) -> Worker:
        worker = Worker(
            broker=broker, queue=queue, media_root=tmp_path, log=tmp_path / f"worker{len(started)}.log", env=env
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def publish(package, version: str = "1.0.0", archive: bytes | None = None) -> Version:
    """Publish as the upload service does: the index task is enqueued when the transaction commits."""
    with transaction.atomic():
        created = make_version(package, version, archive=archive or rich_archive())
        schedule_indexing(created.id)
    return created


def status_of(version: Version) -> str:
    return Version.objects.values_list("index_status", flat=True).get(pk=version.pk)


def expected_entry_count() -> int:
    import io

    return len(extract_entries(io.BytesIO(rich_archive())))


def test_a_published_version_is_indexed_by_a_real_worker(broker_url, queue, workers, package):
    workers(broker_url)
    with celery_sending_to(broker_url, queue):
        version = publish(package)
    wait_until(lambda: status_of(version) == IndexStatus.INDEXED, timeout=120, what="indexed")
    assert IndexEntry.objects.filter(version=version, kind="source", name="flights").exists()


def test_a_bad_archive_fails_alone_and_the_worker_serves_the_next_task(broker_url, queue, workers, package):
    from .builders import manifest_files, zip_bytes

    workers(broker_url)
    with celery_sending_to(broker_url, queue):
        bad = publish(package, "1.0.0", zip_bytes(manifest_files(**{"../../etc/passwd": "x"})))
        good = publish(package, "1.0.1")
    wait_until(lambda: status_of(good) == IndexStatus.INDEXED, timeout=120, what="the good version indexed")
    bad.refresh_from_db()
    assert (bad.index_status, bad.index_error) == (
        IndexStatus.FAILED,
        "entry ../../etc/passwd escapes the archive root",
    )


def test_a_worker_killed_mid_task_leaves_the_version_indexed_exactly_once_by_the_next(
    broker_url, queue, workers, package
):
    # Short limits so a dead worker's claim goes stale in seconds; the first worker is slowed down.
    limits = {"CELERY_TASK_SOFT_TIME_LIMIT": "10", "CELERY_TASK_TIME_LIMIT": "12", "CELERY_VISIBILITY_TIMEOUT": "15"}
    slow = workers(broker_url, REGISTRY_INDEXING_DELAY_SECONDS="30", **limits)
    with celery_sending_to(broker_url, queue):
        version = publish(package)
    wait_until(lambda: status_of(version) == IndexStatus.INDEXING, timeout=120, what="the slow worker's claim")
    slow.kill()
    assert status_of(version) == IndexStatus.INDEXING
    assert not IndexEntry.objects.filter(version=version).exists()

    fresh = workers(broker_url, **limits)
    wait_until(lambda: status_of(version) == IndexStatus.INDEXED, timeout=180, what="indexed by the new worker")
    version.refresh_from_db()
    assert version.index_attempts == 2
    entries = list(IndexEntry.objects.filter(version=version).values_list("kind", "name", "path", "line"))
    assert len(entries) == len(set(entries)) == expected_entry_count()
    assert fresh.output().count("succeeded") >= 1
    assert fresh.output().count(": 'indexed'") == 1


def claim_holder_pid(version: Version) -> int:
    """The pid of the pool process holding ``version``'s indexing claim (the claim records host:pid)."""
    worker = Version.objects.values_list("index_worker", flat=True).get(pk=version.pk)
    return int(worker.rsplit(":", 1)[1])


def test_a_pool_process_killed_mid_index_has_its_task_redelivered_and_indexed_at_once(
    broker_url, queue, workers, package
):
    """The production time limits (a 360 s claim timeout); only the first attempt is slow. The worker's
    main process sees its pool process die, requeues the task (acks_late, reject_on_worker_lost), and the
    redelivery, under the same task id, takes the dead process's claim over without waiting."""
    worker = workers(broker_url, REGISTRY_INDEXING_DELAY_SECONDS="300")
    with celery_sending_to(broker_url, queue):
        version = publish(package)
    wait_until(lambda: status_of(version) == IndexStatus.INDEXING, timeout=120, what="the slow attempt's claim")
    os.kill(claim_holder_pid(version), signal.SIGKILL)
    killed = time.monotonic()
    wait_until(lambda: status_of(version) == IndexStatus.INDEXED, timeout=60, what="indexed by the redelivery")
    print(f"\nre-indexed {time.monotonic() - killed:.1f} s after its pool process was killed")
    version.refresh_from_db()
    assert version.index_attempts == 2
    assert IndexEntry.objects.filter(version=version).count() == expected_entry_count()
    assert worker.output().count(": 'indexed'") == 1


def test_a_whole_worker_killed_mid_index_leaves_a_version_the_next_worker_indexes_within_a_minute(
    broker_url, queue, workers, package
):
    """The production time limits and heartbeat settings. Nothing redelivers the task (the broker would,
    an hour later); the next worker's beat finds the claim's heartbeat stale and queues the version."""
    slow = workers(broker_url, REGISTRY_INDEXING_DELAY_SECONDS="300")
    with celery_sending_to(broker_url, queue):
        version = publish(package)
    wait_until(lambda: status_of(version) == IndexStatus.INDEXING, timeout=120, what="the slow attempt's claim")
    slow.kill()
    killed = time.monotonic()
    workers(broker_url)
    wait_until(lambda: status_of(version) == IndexStatus.INDEXED, timeout=90, what="indexed by the next worker")
    print(f"\nre-indexed {time.monotonic() - killed:.1f} s after the whole worker was killed")
    assert IndexEntry.objects.filter(version=version).count() == expected_entry_count()


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to stop and start a broker")
def test_a_publish_while_the_broker_is_down_succeeds_and_the_sweeper_indexes_it_later(
    broker_url, queue, workers, package, tmp_path, caplog
):
    broker = PrivateRedis(tmp_path)
    broker.start()
    try:
        workers(broker.url)
        broker.stop()
        with celery_sending_to(broker.url, queue):
            version = publish(package)  # the enqueue fails after commit; the publish stands
        assert Version.objects.filter(pk=version.pk).exists()
        assert status_of(version) == IndexStatus.UNKNOWN
        assert f"could not enqueue indexing of version {version.id}" in caplog.text
        broker.start()
        # The worker reconnects; beat's sweeper finds the version unknown past its grace and enqueues it.
        wait_until(lambda: status_of(version) == IndexStatus.INDEXED, timeout=180, what="indexed via the sweeper")
    finally:
        broker.stop()
