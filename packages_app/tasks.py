"""Celery tasks: thin, idempotent wrappers over services. They take ids, never model instances."""

import logging
import random

from celery import shared_task
from django.db import transaction

logger = logging.getLogger(__name__)

INDEX_MAX_RETRIES = 6


@shared_task(name="packages.index_version", bind=True, max_retries=INDEX_MAX_RETRIES)
def index_version_task(self, version_id: int) -> str:
    """Index one version. The service claims the version, so duplicate deliveries are harmless.

    Unreachable storage or database: retried with exponential backoff (2, 4, 8 ... seconds, jittered);
    after the last retry the version is marked failed with the reason. A bad archive fails at once.
    """
    from packages_app import indexing

    try:
        return indexing.index_version(version_id=version_id)
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
    return {"enqueued": report.enqueued, "reset": report.reset, "skippedOverlap": report.skipped_overlap}


def _enqueue_indexing(version_id: int) -> None:
    try:
        index_version_task.delay(version_id)
    except Exception:
        # The broker is down: the publish still stands, and the sweeper enqueues the version later.
        logger.warning("could not enqueue indexing of version %s; the sweeper will", version_id, exc_info=True)


def schedule_indexing(version_id: int) -> None:
    """Enqueue indexing once the current transaction commits (in-process when no broker is configured)."""
    transaction.on_commit(lambda: _enqueue_indexing(version_id))


ORPHAN_SWEEP_LOCK_KEY = "registry:sweep-orphan-blobs"


@shared_task(name="packages.sweep_orphan_blobs")
def sweep_orphan_blobs_task() -> dict:
    """Periodic: remove artifacts and blobs no version references, past the grace window. Never overlaps."""
    from django.core.cache import cache

    from packages_app.services import sweep_orphan_blobs

    if not cache.add(ORPHAN_SWEEP_LOCK_KEY, "running", timeout=3600):
        return {"skippedOverlap": True}
    try:
        report = sweep_orphan_blobs()
    finally:
        cache.delete(ORPHAN_SWEEP_LOCK_KEY)
    return {"artifactsDeleted": len(report.artifacts_deleted), "blobsDeleted": len(report.blobs_deleted)}
