"""The periodic safety net for indexing: versions nobody enqueued, and claims whose worker died."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from packages_app.indexing.conf import setting
from packages_app.indexing.service import stale_claim
from packages_app.models import IndexStatus, Version

logger = logging.getLogger(__name__)
LOCK_KEY = "indexing:sweeper:lock"


@dataclass
class SweepReport:
    enqueued: list[int] = field(default_factory=list)
    reset: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped_overlap: bool = False


def sweep_index_queue(*, enqueue, batch_size: int | None = None) -> SweepReport:
    """Re-enqueue versions left ``unknown`` past the grace period and reset claims whose holder died
    (heartbeat older than ``INDEX_CLAIM_STALE_SECONDS``, or older than the hard time limit).

    ``enqueue(version_id)`` sends one task. At most ``batch_size`` versions per run; a run that finds
    another still holding the lock does nothing, so runs never overlap.
    """
    batch_size = batch_size or int(setting("INDEX_SWEEP_BATCH_SIZE"))
    token = uuid.uuid4().hex
    # The lock expires on its own, so a sweeper killed mid-run cannot block the next ones for long.
    if not cache.add(LOCK_KEY, token, timeout=int(setting("INDEX_SWEEP_LOCK_SECONDS"))):
        return SweepReport(skipped_overlap=True)
    try:
        return _sweep(enqueue=enqueue, batch_size=batch_size)
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


def _sweep(*, enqueue, batch_size: int) -> SweepReport:
    report = SweepReport()
    now = timezone.now()
    stuck = list(
        Version.objects.filter(stale_claim(now))
        .order_by("index_started_at")
        .values_list("pk", "index_started_at", "index_attempts")[:batch_size]
    )
    max_attempts = int(setting("INDEX_MAX_ATTEMPTS"))
    for version_id, started_at, attempts in stuck:
        # Compare-and-set on the claim stamp: a worker that finishes meanwhile keeps its result.
        claim = Version.objects.filter(pk=version_id, index_status=IndexStatus.INDEXING, index_started_at=started_at)
        if attempts >= max_attempts:  # it keeps killing or outliving its workers: stop feeding it to them
            if claim.update(
                index_status=IndexStatus.FAILED,
                index_error=f"indexing stopped {attempts} times without finishing (the worker died or ran out of "
                "time); the archive may be too large or malformed; reindex to try again",
                updated_at=now,
            ):
                report.failed.append(version_id)
        elif claim.update(
            index_status=IndexStatus.UNKNOWN,
            index_error="the worker indexing this version stopped; it was queued again",
            updated_at=now,
        ):
            report.reset.append(version_id)
    waiting = list(
        Version.objects.filter(
            index_status=IndexStatus.UNKNOWN,
            updated_at__lt=now - timedelta(seconds=setting("INDEX_SWEEP_UNKNOWN_AFTER_SECONDS")),
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[: max(batch_size - len(report.reset), 0)]
    )
    for version_id in [*report.reset, *waiting]:
        try:
            enqueue(version_id)
        except Exception:  # the broker is still down: leave the rest for the next run
            logger.warning("could not enqueue indexing of version %s; the next sweep retries", version_id)
            break
        report.enqueued.append(version_id)
    # Touch what was sent, so a backed-up queue is not flooded with the same versions every minute.
    Version.objects.filter(pk__in=report.enqueued, index_status=IndexStatus.UNKNOWN).update(updated_at=now)
    return report
