"""Celery tasks: thin, idempotent wrappers over services. They take ids, never model instances."""

import contextvars
import logging
import os
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from celery import shared_task
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# Publishes handed to the broker off the request thread (see ``enqueue_off_request``): at most this many
# wait at once per process; past that a publish is skipped (and logged), and the sweepers catch up.
ENQUEUE_MAX_IN_FLIGHT = 32
_enqueue_lock = threading.Lock()
_enqueue_pool: ThreadPoolExecutor | None = None
_enqueue_slots = threading.BoundedSemaphore(ENQUEUE_MAX_IN_FLIGHT)


def _forget_enqueue_pool_after_fork() -> None:
    # A forked child (a gunicorn or Celery worker) has none of its parent's threads: start its own pool.
    global _enqueue_pool, _enqueue_lock, _enqueue_slots
    _enqueue_pool = None
    _enqueue_lock = threading.Lock()
    _enqueue_slots = threading.BoundedSemaphore(ENQUEUE_MAX_IN_FLIGHT)


os.register_at_fork(after_in_child=_forget_enqueue_pool_after_fork)


def _pool() -> ThreadPoolExecutor:
    global _enqueue_pool
    with _enqueue_lock:
        if _enqueue_pool is None:
            _enqueue_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="registry-enqueue")
        return _enqueue_pool


def enqueue_off_request(send: Callable[[], None], *, what: str) -> None:
    """Run ``send`` (a broker publish that logs its own failure) so that a hung broker cannot pin the caller.

    The publish runs on a small per-process thread pool; the caller waits for it at most
    ``CELERY_ENQUEUE_WAIT_SECONDS`` and then carries on (the publish itself gives up after the broker's
    socket timeouts and one retry). Without a broker (``task_always_eager``, the embedded default) the
    task runs right here, in the request, as before.
    """
    from celery import current_app

    if current_app.conf.task_always_eager:
        send()
        return
    if not _enqueue_slots.acquire(blocking=False):
        logger.warning("could not enqueue %s: %d publishes already wait on the broker", what, ENQUEUE_MAX_IN_FLIGHT)
        return

    def run() -> None:
        try:
            send()
        finally:
            _enqueue_slots.release()

    # The copied context carries the request id to the task's headers (registry.request_id).
    future = _pool().submit(contextvars.copy_context().run, run)
    try:
        future.result(timeout=settings.CELERY_ENQUEUE_WAIT_SECONDS)
    except FutureTimeout:
        logger.warning("the broker has not taken %s yet; the request carries on without waiting", what)


INDEX_MAX_RETRIES = 6


@shared_task(name="packages.index_version", bind=True, max_retries=INDEX_MAX_RETRIES)
def index_version_task(self, version_id: int) -> str:
    """Index one version. The service claims the version, so duplicate deliveries are harmless.

    Unreachable storage or database: retried with exponential backoff (2, 4, 8 ... seconds, jittered);
    after the last retry the version is marked failed with the reason. A bad archive fails at once.
    """
    from packages_app import indexing

    try:
        return indexing.index_version(version_id=version_id, task_id=self.request.id or "")
    except indexing.TransientIndexingError as exc:
        if self.request.retries >= self.max_retries:
            indexing.give_up(
                version_id=version_id,
                message=f"gave up after {self.request.retries + 1} attempts: {exc}; reindex to try again",
            )
            return "failed"
        # Jitter spreads retries out, so workers that failed together do not all retry at once.
        countdown = 2 ** (self.request.retries + 1) + random.uniform(0, 1)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="packages.sweep_index_queue")
def sweep_index_queue_task() -> dict:
    """Beat, every minute: enqueue versions nobody enqueued and reset claims whose worker died."""
    from packages_app.indexing.sweeper import sweep_index_queue

    report = sweep_index_queue(enqueue=index_version_task.delay)
    return {
        "enqueued": report.enqueued,
        "reset": report.reset,
        "failed": report.failed,
        "skippedOverlap": report.skipped_overlap,
    }


def _enqueue_indexing(version_id: int) -> None:
    try:
        index_version_task.delay(version_id)
    except Exception:
        # The broker is down: the publish still stands, and the sweeper enqueues the version later.
        logger.warning("could not enqueue indexing of version %s; the sweeper will", version_id, exc_info=True)


def schedule_indexing(version_id: int) -> None:
    """Enqueue indexing once the current transaction commits (a rolled-back publish enqueues nothing).

    Without a broker (``task_always_eager``, the embedded default) the task runs right there, in the
    request, after the commit. With one, the request waits for the broker a bounded time
    (``enqueue_off_request``); a version whose enqueue failed stays ``unknown`` and the sweeper enqueues it.
    """
    transaction.on_commit(
        lambda: enqueue_off_request(lambda: _enqueue_indexing(version_id), what=f"indexing of version {version_id}")
    )


ORPHAN_SWEEP_LOCK_KEY = "registry:sweep-orphan-blobs"


@shared_task(name="packages.sweep_orphan_blobs")
def sweep_orphan_blobs_task() -> dict:
    """Periodic: remove artifacts and blobs no version references, past the grace window. Never overlaps."""
    from django.core.cache import cache

    from packages_app.blobs import sweep_orphan_blobs

    if not cache.add(ORPHAN_SWEEP_LOCK_KEY, "running", timeout=3600):
        return {"skippedOverlap": True}
    try:
        report = sweep_orphan_blobs()
    finally:
        cache.delete(ORPHAN_SWEEP_LOCK_KEY)
    return {"artifactsDeleted": len(report.artifacts_deleted), "blobsDeleted": len(report.blobs_deleted)}


@shared_task(name="packages.replicate_artifact", bind=True, max_retries=5)
def replicate_artifact_task(self, artifact_id: int) -> dict:
    """Give an artifact as many verified copies as its packages ask for. Idempotent."""
    from packages_app.models import Artifact
    from packages_app.replication import replicate_artifact

    try:
        report = replicate_artifact(artifact_id=artifact_id)
    except Artifact.DoesNotExist:
        return {"skipped": "gone"}
    except OSError as exc:  # a store that did not answer: try again later
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
    return {"checked": report.checked, "repaired": len(report.repaired), "unrepairable": len(report.unrepairable)}


@shared_task(name="packages.replicate_package")
def replicate_package_task(package_id: int) -> int:
    """After a package's replicationCount grows: copy each of its artifacts (one task each)."""
    from packages_app.models import Artifact

    artifact_ids = list(
        Artifact.objects.filter(versions__package_id=package_id).distinct().values_list("pk", flat=True)
    )
    for artifact_id in artifact_ids:
        replicate_artifact_task.delay(artifact_id)
    return len(artifact_ids)


@shared_task(name="packages.verify_replicas")
def verify_replicas_task() -> dict:
    """Beat: re-hash the least recently checked copies and repair bad ones. Never overlaps itself."""
    from django.conf import settings

    from packages_app.replication import verify_replicas

    report = verify_replicas(batch_size=settings.REGISTRY_INTEGRITY_BATCH_SIZE)
    if report is None:
        return {"skippedOverlap": True}
    return {"checked": report.checked, "repaired": len(report.repaired), "unrepairable": len(report.unrepairable)}


def _enqueue_quietly(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:
        # Broker down: the integrity check creates missing copies on its next runs.
        logger.warning("could not enqueue %s%s", task.name, args, exc_info=True)


def schedule_replication(*, artifact_id: int | None = None, package_id: int | None = None) -> None:
    """After commit, copy one new artifact, or every artifact of a package whose replicationCount grew."""
    if artifact_id is not None:
        transaction.on_commit(
            lambda: enqueue_off_request(
                lambda: _enqueue_quietly(replicate_artifact_task, artifact_id),
                what=f"replication of artifact {artifact_id}",
            )
        )
    if package_id is not None:
        transaction.on_commit(
            lambda: enqueue_off_request(
                lambda: _enqueue_quietly(replicate_package_task, package_id),
                what=f"replication of package {package_id}",
            )
        )
