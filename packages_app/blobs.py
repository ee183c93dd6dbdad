"""Content-addressed blob storage: digests, writing a blob once per sha256, the artifact row that names it,
and the orphan sweep that removes what a failed publish left behind.

Blobs are written before any transaction and deleted only after commit, and only by the sweep.
"""

import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from packages_app.models import Artifact, ArtifactReplica, ReplicaStatus, artifact_key, artifact_storage
from packages_app.replication import storage_locations
from packages_app.storage import renew_blob
from registry.db import insert_unless_conflict
from registry.errors import RegistryError

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True)
class Digests:
    sha256: str
    md5: str
    size: int


def digest_stream(stream: IO[bytes]) -> Digests:
    """md5, sha256 and size of a stream, read in chunks (never whole into memory)."""
    sha256, md5, size = hashlib.sha256(), hashlib.md5(), 0
    while chunk := stream.read(CHUNK_SIZE):
        sha256.update(chunk)
        md5.update(chunk)
        size += len(chunk)
    return Digests(sha256=sha256.hexdigest(), md5=md5.hexdigest(), size=size)


def _stored_size(storage, key: str) -> int | None:
    """The size of the blob at ``key``, None when there is none."""
    try:
        return storage.size(key) if storage.exists(key) else None  # S3's size() of a missing key is no OSError
    except FileNotFoundError:  # removed in between
        return None


def store_blob(*, stream: IO[bytes], key: str, size: int) -> bool:
    """Write ``stream`` at content address ``key`` in primary storage unless a whole blob is there already.

    True when the blob there now is the one this call wrote (the bytes the caller hashed).
    """
    storage = artifact_storage()
    # One look: with atomic writes it sees no blob or a whole one, never a concurrent writer's half.
    found = _stored_size(storage, key)
    if found == size:
        if renew_blob(storage, key):  # it may be an old orphan: keep the sweep off it while we use it
            return False
        found = None  # deleted since the look: write it again
    if found is not None:
        storage.delete(key)  # a partial blob (a crash on a store without atomic writes): never trust it
    stream.seek(0)
    try:
        saved = storage.save(key, stream)
    except BaseException:
        # A failed write must not leave a partial file at a content address later uploads would trust.
        with contextlib.suppress(Exception):
            if _stored_size(storage, key) not in (None, size):  # a concurrent writer's whole blob stays
                storage.delete(key)
        raise
    if saved != key:  # a concurrent writer won the race with the same bytes: keep theirs
        storage.delete(saved)
        return False
    return True


def store_artifact(*, stream: IO[bytes], digests: Digests, media_type: str = "application/octet-stream") -> Artifact:
    """The artifact for these bytes, writing the blob first if storage does not hold it.

    The blob is written before any transaction: a blob whose row never commits is removed by the orphan
    sweep. Identical bytes share one artifact; re-sending identical bytes restores a missing blob. Inside
    a caller's transaction the artifact row stays locked until it ends (see :func:`record_artifact`).
    """
    wrote = store_blob(stream=stream, key=artifact_key(digests.sha256), size=digests.size)
    with transaction.atomic():
        return record_artifact(digests=digests, media_type=media_type, wrote=wrote)


def record_artifact(*, digests: Digests, media_type: str, wrote: bool) -> Artifact:
    """The artifact row for a blob already in primary storage, inserted or locked in the caller's transaction.

    ``wrote`` says whether the caller's upload wrote the blob just now. A new row is the caller's until it
    commits; an existing row is locked (``FOR UPDATE``), because the orphan sweep deletes unreferenced rows
    under that same lock and must not take this one while a version that references it is being written.
    """
    # The primary copy's first check comes free when the caller wrote it: those are the bytes hashed on
    # the way in. A blob found in place is left for the integrity check to hash (pending).
    checked = {"status": ReplicaStatus.HEALTHY, "checked_at": timezone.now()} if wrote else {}
    primary = storage_locations()[0]
    artifact = Artifact(
        sha256=digests.sha256,
        md5=digests.md5,
        size=digests.size,
        media_type=media_type,
        file=artifact_key(digests.sha256),
    )
    if insert_unless_conflict(artifact, unique_fields=["sha256"]):
        ArtifactReplica.objects.create(artifact=artifact, location=primary, **checked)
        return artifact
    artifact = Artifact.objects.select_for_update().filter(sha256=digests.sha256).first()
    if artifact is None:  # an old orphan the sweep removed between the two statements, blob and all
        raise RegistryError("ARTIFACT_GONE", "The stored file disappeared; retry the upload.", status=503)
    if wrote:  # it restored a missing or partial primary copy
        ArtifactReplica.objects.update_or_create(artifact=artifact, location=primary, defaults=checked)
    return artifact


# --- Orphan sweep ---------------------------------------------------------------------------------


@dataclass
class SweepReport:
    artifacts_deleted: list[str] = field(default_factory=list)  # sha256 of artifact rows removed
    blobs_deleted: list[str] = field(default_factory=list)  # storage keys removed
    dry_run: bool = False


def _storage_keys(storage, prefix: str = "sha256"):
    """Every file key under ``prefix``, walking directories (works for filesystem and S3 storages)."""
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{prefix}/{name}"
    for directory in directories:
        yield from _storage_keys(storage, f"{prefix}/{directory}")


def _delete_everywhere(key: str) -> None:
    for location in storage_locations():
        storages[location].delete(key)


def sweep_orphan_blobs(*, grace_seconds: int | None = None, dry_run: bool = False) -> SweepReport:
    """Remove artifacts no version references, and stored blobs no artifact row names.

    Both are what an upload leaves behind when its version transaction fails (a 409 loser, a crash).
    Nothing younger than the grace window is touched, so an upload still committing is never swept.
    Artifact rows are deleted under a row lock after re-checking they are unreferenced (the publish
    service locks the artifact it is about to use); their blobs are deleted only after that commits.
    """
    grace = settings.REGISTRY_ORPHAN_GRACE_SECONDS if grace_seconds is None else grace_seconds
    cutoff = timezone.now() - timedelta(seconds=grace)
    report = SweepReport(dry_run=dry_run)

    candidates = Artifact.objects.filter(created_at__lt=cutoff, versions__isnull=True).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            artifact = Artifact.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if artifact is None or artifact.versions.exists():
                continue
            if not dry_run:
                try:
                    with transaction.atomic():
                        artifact.delete()
                except ProtectedError:
                    continue
                key = artifact.file.name
                # Every copy goes: the primary and any replica locations.
                transaction.on_commit(lambda key=key: _delete_everywhere(key))
            report.artifacts_deleted.append(artifact.sha256)
            report.blobs_deleted.append(artifact.file.name)

    known = set(Artifact.objects.values_list("sha256", flat=True))
    for location in storage_locations():
        storage = storages[location]
        # Primary keys are reported bare (as before); replica keys carry their location.
        label = "" if location == storage_locations()[0] else f"{location}:"
        for key in _storage_keys(storage):
            sha256 = key.rsplit("/", 1)[-1]
            if sha256 in known or key in report.blobs_deleted:
                continue
            # An upload may have created the row since the listing.
            if Artifact.objects.filter(sha256=sha256).exists():
                continue
            # The age is read last, just before the delete: an upload reusing this blob from a transaction
            # not committed yet has renewed it first (store_blob), and is seen here.
            try:
                modified = storage.get_modified_time(key)
            except (FileNotFoundError, NotImplementedError):
                continue
            if modified >= cutoff:
                continue
            if not dry_run:
                storage.delete(key)
            report.blobs_deleted.append(f"{label}{key}")
    if not dry_run and (report.artifacts_deleted or report.blobs_deleted):
        logger.info(
            "orphan sweep removed %d artifacts and %d blobs", len(report.artifacts_deleted), len(report.blobs_deleted)
        )
    return report
