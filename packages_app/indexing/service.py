"""The indexing lifecycle of a version: claim, read and verify, write entries, finish.

``index_status`` moves ``unknown``/``failed`` -> ``indexing`` -> ``indexed``/``failed`` through
compare-and-set updates. The claim stamps ``index_started_at``; that stamp is the claim's token, and the
entries are written in the same transaction as the guarded switch to ``indexed``, so a worker whose claim
was taken over (it was presumed dead, or a reindex reset it) writes nothing. That is what makes duplicate
deliveries and re-deliveries after a crash harmless.

A claim records who holds it: the Celery task id, the worker process (host:pid) and a heartbeat that a
background thread refreshes every ``INDEX_HEARTBEAT_SECONDS`` while the process indexes. A claim is
taken over, without waiting for the hard time limit, when

- the same task id comes again: the broker redelivered the task (acks_late; the pool process running it
  died, ``task_reject_on_worker_lost`` requeued it), so the claim's holder is gone; or
- its heartbeat is older than ``INDEX_CLAIM_STALE_SECONDS``: the whole worker died (the sweeper then
  queues the version again); or
- it is older than the hard time limit (a claim from before heartbeats, or a worker that stopped beating
  and was not killed: the time limit has killed its task by then).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from packages_app.indexing.conf import setting
from packages_app.indexing.extract import EntryDraft, by_depth, extract_entries
from packages_app.models import IndexEntry, IndexStatus, Version, artifact_key, artifact_storage
from registry.errors import RegistryError

logger = logging.getLogger(__name__)
CHUNK_SIZE = 1024 * 1024


class TransientIndexingError(Exception):
    """Storage or the database could not be reached: the task retries later with backoff."""


class PermanentIndexingError(Exception):
    """The version cannot be indexed as it is; the message tells a person what to do."""


def claim_timeout() -> timedelta:
    """A claim older than the hard task time limit belongs to a worker that died."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def stale_claim(now: datetime) -> Q:
    """Claims whose holder is dead: heartbeat stale, or older than the hard time limit."""
    return Q(index_status=IndexStatus.INDEXING) & (
        Q(index_heartbeat_at__lt=now - timedelta(seconds=float(setting("INDEX_CLAIM_STALE_SECONDS"))))
        | Q(index_started_at__lt=now - claim_timeout())
    )


def this_worker() -> str:
    """``host:pid`` of this process, as a claim records it."""
    return f"{socket.gethostname()}:{os.getpid()}"[:255]


def claim(*, version_id: int, task_id: str = "") -> datetime | None:
    """Take the version for indexing; the returned stamp is the claim token (None: not ours to index).

    ``task_id`` is the Celery task's id: when the claim is held under that same id, this is the broker's
    redelivery of a task whose process died, and it takes the claim over at once.
    """
    now = timezone.now()
    taken_over = stale_claim(now)
    if task_id:
        taken_over |= Q(index_status=IndexStatus.INDEXING, index_task_id=task_id)
    claimable = Q(index_status__in=[IndexStatus.UNKNOWN, IndexStatus.FAILED]) | (
        taken_over & Q(index_attempts__lt=int(setting("INDEX_MAX_ATTEMPTS")))
    )
    taken = Version.objects.filter(claimable, pk=version_id).update(
        index_status=IndexStatus.INDEXING,
        index_started_at=now,
        index_heartbeat_at=now,
        index_task_id=task_id[:255],
        index_worker=this_worker(),
        index_attempts=F("index_attempts") + 1,
        index_error="",
        updated_at=now,
    )
    return now if taken else None


class Heartbeat:
    """While open, a daemon thread refreshes the claim's ``index_heartbeat_at`` on its own connection.

    It stops when the block ends, or by itself once the claim is no longer ours. A database error only
    skips a beat: if the database stays away the claim goes stale, which is the truth.
    """

    def __init__(self, version_id: int, token: datetime):
        self.version_id, self.token = version_id, token
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"index-heartbeat-{version_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        interval = float(setting("INDEX_HEARTBEAT_SECONDS"))
        try:
            while not self._stopped.wait(interval):
                try:
                    if not _owned(self.version_id, self.token).update(index_heartbeat_at=timezone.now()):
                        return  # taken over, reset or deleted: nothing left to keep alive
                except DatabaseError:
                    logger.warning("could not refresh the indexing heartbeat of version %s", self.version_id)
        finally:
            connection.close()  # this thread's own connection


def _owned(version_id: int, token: datetime):
    return Version.objects.filter(pk=version_id, index_status=IndexStatus.INDEXING, index_started_at=token)


def _finish_failed(version_id: int, token: datetime, message: str) -> bool:
    return bool(
        _owned(version_id, token).update(
            index_status=IndexStatus.FAILED, index_error=message[:2000], updated_at=timezone.now()
        )
    )


def release(*, version_id: int, token: datetime, reason: str) -> None:
    """Give a claim back (``unknown``) so a retry can take it; the sweeper covers us if this fails too."""
    try:
        _owned(version_id, token).update(
            index_status=IndexStatus.UNKNOWN, index_error=f"will retry: {reason}"[:2000], updated_at=timezone.now()
        )
    except DatabaseError:
        logger.warning("could not release the indexing claim on version %s", version_id)


def _open_verified(storage, key: str, sha256: str):
    """The blob at ``key`` rewound, or None when it is missing or does not hash to ``sha256``."""
    try:
        stored = storage.open(key, "rb")
    except FileNotFoundError:
        return None
    try:
        digest = hashlib.sha256()
        while chunk := stored.read(CHUNK_SIZE):
            digest.update(chunk)
        stored.seek(0)
    except BaseException:
        stored.close()
        raise
    if digest.hexdigest() != sha256:
        stored.close()
        return None
    return stored


def _read_verified(version: Version):
    """The artifact's bytes (a seekable file) after checking they hash to its sha256: the primary copy,
    else a healthy replica."""
    from packages_app.replication import open_healthy_copy

    artifact = version.artifact
    try:
        stored = _open_verified(artifact_storage(), artifact_key(artifact.sha256), artifact.sha256)
        if stored is not None:
            return stored
        _, replica = open_healthy_copy(artifact, verify=True)  # whatever its size: the index must match it
        return replica
    except RegistryError as exc:
        if exc.details.get("errors"):  # a store could not be reached, as opposed to holding no good copy
            raise TransientIndexingError(f"storage could not be read: {exc.details['errors']}") from exc
        raise PermanentIndexingError(
            f"no stored copy of the archive sha256:{artifact.sha256} is intact (missing or not matching its "
            "sha256); upload the same file again or repair it from a replica, then reindex"
        ) from exc
    except OSError as exc:
        raise TransientIndexingError(f"storage could not be read: {exc}") from exc


def _write_entries(version_id: int, token: datetime, drafts: list[EntryDraft]) -> bool:
    """Replace the version's entries and mark it indexed, all or nothing, only while the claim is ours."""
    with transaction.atomic():
        # Lock our version row first (the lock order's last step before the entries): a concurrent reset
        # or package delete waits for us, and we see whether the claim is still ours and the version still
        # there. A delete that locked it first has removed it by the time we get it: we write nothing.
        if not _owned(version_id, token).select_for_update().exists():
            return False
        # One DELETE for the whole version: every entry and all its children go together (the parent key is
        # checked at commit), without Django's cascade collector, which would load each generation of children.
        meta, quote = IndexEntry._meta, connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {quote(meta.db_table)} WHERE {quote(meta.get_field('version').column)} = %s", [version_id]
            )
        saved: dict[int, IndexEntry] = {}
        for level in by_depth(drafts):
            rows = [
                IndexEntry(
                    version_id=version_id,
                    kind=draft.kind,
                    name=draft.name,
                    path=draft.path[:1000],
                    line=draft.line,
                    parent=saved[id(draft.parent)] if draft.parent is not None else None,
                    doc=draft.doc,
                    data=draft.data,
                )
                for draft in level
            ]
            if connection.features.can_return_rows_from_bulk_insert:
                IndexEntry.objects.bulk_create(rows, batch_size=1000)
            else:  # pragma: no cover - every supported database returns ids from bulk inserts
                for row in rows:
                    row.save()
            saved.update({id(draft): row for draft, row in zip(level, rows, strict=True)})
        _owned(version_id, token).update(
            index_status=IndexStatus.INDEXED, indexed_at=timezone.now(), index_error="", updated_at=timezone.now()
        )
    return True


def index_version(*, version_id: int, task_id: str = "") -> str:
    """Index one version: ``indexed``, ``failed`` or ``skipped`` (gone, or claimed by someone else).

    ``task_id`` identifies the delivering task (see :func:`claim`). Raises
    :class:`TransientIndexingError` when storage or the database is unreachable, after giving the claim
    back, so the task can retry with backoff.
    """
    try:
        token = claim(version_id=version_id, task_id=task_id)
    except (OperationalError, InterfaceError) as exc:
        raise TransientIndexingError(f"the database could not be reached: {exc}") from exc
    if token is None:
        logger.info("version %s is gone or already claimed: nothing to do", version_id)
        return "skipped"
    try:
        with Heartbeat(version_id, token):
            version = Version.objects.select_related("artifact").filter(pk=version_id).first()
            if version is None:  # deleted (with its package) since the claim
                return "skipped"
            delay = setting("REGISTRY_INDEXING_DELAY_SECONDS")
            if delay and version.index_attempts == 1:  # injectable slowness, for the worker-crash tests
                time.sleep(float(delay))
            stored = _read_verified(version)
            try:
                drafts = extract_entries(stored)
            finally:
                stored.close()
            written = _write_entries(version_id, token, drafts)
    except RegistryError as exc:  # the archive itself is bad: no retry can help
        _finish_failed(version_id, token, exc.message)
        return "failed"
    except PermanentIndexingError as exc:
        _finish_failed(version_id, token, str(exc))
        return "failed"
    except (TransientIndexingError, OperationalError, InterfaceError) as exc:
        release(version_id=version_id, token=token, reason=str(exc))
        if isinstance(exc, TransientIndexingError):
            raise
        raise TransientIndexingError(f"the database could not be reached: {exc}") from exc
    except SoftTimeLimitExceeded:
        _finish_failed(
            version_id,
            token,
            f"indexing took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} seconds; the archive may be "
            "too large to index, reindex to try again",
        )
        return "failed"
    except Exception as exc:  # a bug must fail this version only, never the worker or the next task
        logger.exception("indexing version %s failed unexpectedly", version_id)
        _finish_failed(
            version_id, token, f"indexing failed unexpectedly ({type(exc).__name__}: {exc}); reindex to retry"
        )
        return "failed"
    if not written:
        logger.info("version %s was reset while being indexed: the newer claim writes the entries", version_id)
        return "skipped"
    return "indexed"


def give_up(*, version_id: int, message: str) -> None:
    """After the last retry of a transient error: mark the version failed so a person can see why."""
    Version.objects.filter(pk=version_id, index_status__in=[IndexStatus.UNKNOWN, IndexStatus.INDEXING]).update(
        index_status=IndexStatus.FAILED, index_error=message[:2000], updated_at=timezone.now()
    )


@transaction.atomic
def request_reindex(*, version_id: int) -> None:
    """Reset a version to ``unknown`` (dropping any claim in flight, and its attempt count) and enqueue it
    after commit."""
    from packages_app.tasks import schedule_indexing

    now = timezone.now()
    Version.objects.filter(pk=version_id).update(
        index_status=IndexStatus.UNKNOWN, index_error="", index_started_at=None, index_attempts=0, updated_at=now
    )
    schedule_indexing(version_id)
