"""Copies of artifacts in several storage locations: replicating, checking, repairing, and reading a good one.

A package's ``replicationCount`` is how many locations (``settings.REGISTRY_STORAGE_LOCATIONS``, primary
first) hold each of its artifacts; an artifact shared by several packages gets the largest count. Every
copy has an :class:`ArtifactReplica` row saying where it is and what the last check found.
"""

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import File
from django.core.files.storage import storages
from django.db.models import F, Max
from django.utils import timezone

from packages_app.models import Artifact, ArtifactReplica, Package, ReplicaStatus, artifact_key
from registry.errors import RegistryError, validation_failed

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
VERIFY_LOCK_KEY = "registry:verify-replicas"


def storage_locations() -> list[str]:
    return list(settings.REGISTRY_STORAGE_LOCATIONS)


def validate_replication_count(count: int) -> None:
    """A package may not ask for more copies than there are places to keep them."""
    available = len(storage_locations())
    if count > available:
        raise validation_failed(
            "replicationCount",
            f"{count} copies were asked for but only {available} storage locations are configured",
            requested=count,
            available=available,
        )


def required_copies(artifact: Artifact) -> int:
    wanted = Package.objects.filter(versions__artifact=artifact).aggregate(n=Max("replication_count"))["n"]
    return min(max(wanted or 1, 1), len(storage_locations()))


def _sha256_of(location: str, key: str) -> str | None:
    """The digest of the copy at ``location``, or None when it is not there."""
    storage = storages[location]
    try:
        handle = storage.open(key, "rb")
    except (FileNotFoundError, OSError):
        return None
    digest = hashlib.sha256()
    with handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_copy(artifact: Artifact, location: str) -> str:
    """healthy, missing or corrupt, by re-hashing the stored bytes."""
    found = _sha256_of(location, artifact_key(artifact.sha256))
    if found is None:
        return ReplicaStatus.MISSING
    return ReplicaStatus.HEALTHY if found == artifact.sha256 else ReplicaStatus.CORRUPT


def _copy(artifact: Artifact, source: str, target: str) -> None:
    key = artifact_key(artifact.sha256)
    destination = storages[target]
    if destination.exists(key):
        destination.delete(key)  # a corrupt copy: the key is ours, derived from the digest
    with storages[source].open(key, "rb") as handle:
        saved = destination.save(key, File(handle))
    if saved != key:  # pragma: no cover - a racing repair wrote the same bytes first
        destination.delete(saved)


def _healthy_source(artifact: Artifact, exclude: set[str] = frozenset()) -> str | None:
    for location in storage_locations():
        if location not in exclude and inspect_copy(artifact, location) == ReplicaStatus.HEALTHY:
            return location
    return None


@dataclass
class RepairReport:
    checked: int = 0
    healthy: int = 0
    repaired: list[str] = field(default_factory=list)
    unrepairable: list[str] = field(default_factory=list)


def _check_and_repair(replica: ArtifactReplica, report: RepairReport) -> None:
    artifact = replica.artifact
    status = inspect_copy(artifact, replica.location)
    report.checked += 1
    if status != ReplicaStatus.HEALTHY:
        source = _healthy_source(artifact, exclude={replica.location})
        if source is None:
            logger.error("artifact %s has no healthy copy left; %s is %s", artifact.sha256, replica.location, status)
            report.unrepairable.append(f"{artifact.sha256}@{replica.location}")
        else:
            _copy(artifact, source, replica.location)
            status = inspect_copy(artifact, replica.location)
            logger.warning("repaired %s at %s from %s", artifact.sha256, replica.location, source)
            report.repaired.append(f"{artifact.sha256}@{replica.location}")
    if status == ReplicaStatus.HEALTHY:
        report.healthy += 1
    ArtifactReplica.objects.filter(pk=replica.pk).update(status=status, checked_at=timezone.now())


def replicate_artifact(*, artifact_id: int) -> RepairReport:
    """Make sure the artifact has as many healthy copies as its packages ask for. Idempotent."""
    artifact = Artifact.objects.get(pk=artifact_id)
    report = RepairReport()
    for location in storage_locations()[: required_copies(artifact)]:
        replica, _ = ArtifactReplica.objects.get_or_create(artifact=artifact, location=location)
        _check_and_repair(replica, report)
    return report


def verify_replicas(*, batch_size: int = 50) -> RepairReport | None:
    """Re-hash the least recently checked copies and repair the bad ones.

    Returns None when another run holds the lock: two runs never overlap (the lock lives in the shared
    cache, and expires in case a worker dies mid-run).
    """
    if not cache.add(VERIFY_LOCK_KEY, "1", timeout=settings.CELERY_TASK_TIME_LIMIT):
        return None
    try:
        report = RepairReport()
        stale_first = ArtifactReplica.objects.select_related("artifact").order_by(
            F("checked_at").asc(nulls_first=True), "pk"
        )
        for replica in stale_first[:batch_size]:
            _check_and_repair(replica, report)
        return report
    finally:
        cache.delete(VERIFY_LOCK_KEY)


def replica_health(artifact: Artifact) -> list[dict]:
    """What the last checks found, for the version API (uses prefetched replicas when present)."""
    order = {location: position for position, location in enumerate(storage_locations())}
    replicas = sorted(artifact.replicas.all(), key=lambda r: order.get(r.location, len(order)))
    return [{"location": r.location, "status": r.status, "checkedAt": r.checked_at} for r in replicas]


def _candidate_locations(artifact: Artifact, *, verify: bool) -> Iterator[str]:
    known_bad = {
        r.location: r.status
        for r in artifact.replicas.all()
        if r.status in (ReplicaStatus.MISSING, ReplicaStatus.CORRUPT)
    }
    for location in storage_locations():
        if location not in known_bad:
            yield location
    # A copy marked bad may have been repaired since: try those last rather than fail. One found
    # corrupt is tried only when it will be re-hashed: unverified, it would be served as it is.
    for location in storage_locations():
        if location in known_bad and (verify or known_bad[location] == ReplicaStatus.MISSING):
            yield location


def open_healthy_copy(artifact: Artifact, *, verify: bool | None = None) -> tuple[str, File]:
    """An open handle on a good copy of the artifact: the primary, else a replica.

    A copy is skipped when it is missing, has the wrong size, was found corrupt by the integrity check,
    or (with ``verify``; by default up to ``REGISTRY_DOWNLOAD_VERIFY_MAX_BYTES``) has the wrong digest.
    503 when no location can serve it.
    """
    key = artifact_key(artifact.sha256)
    if verify is None:
        verify = artifact.size <= settings.REGISTRY_DOWNLOAD_VERIFY_MAX_BYTES
    errors = []
    for location in _candidate_locations(artifact, verify=verify):
        storage = storages[location]
        try:
            if storage.size(key) != artifact.size:
                continue
            if verify and _sha256_of(location, key) != artifact.sha256:
                continue
            return location, storage.open(key, "rb")
        except FileNotFoundError:
            continue
        except Exception as exc:  # an unreachable store: try the next copy, report if none is left
            errors.append(f"{location}: {type(exc).__name__}")
            logger.warning("storage %s failed while serving %s: %s", location, artifact.sha256, exc)
    raise RegistryError(
        "STORAGE_UNAVAILABLE",
        "The archive cannot be read from storage right now; try again later.",
        status=503,
        details={"sha256": artifact.sha256, **({"errors": errors} if errors else {})},
    )


def signed_download_url(artifact: Artifact, *, filename: str) -> str | None:
    """A short-lived signed URL to a copy not known to be bad, or None where the store cannot sign URLs.

    Only object stores that sign URLs (S3) qualify: a filesystem storage has no URL to hand out.
    """
    key = artifact_key(artifact.sha256)
    for location in _candidate_locations(artifact, verify=False):  # a redirect is never re-hashed
        storage = storages[location]
        if not getattr(storage, "querystring_auth", False):
            continue
        try:
            if not storage.exists(key):
                continue
            return storage.url(
                key,
                parameters={"ResponseContentDisposition": f'attachment; filename="{filename}"'},
                expire=settings.REGISTRY_SIGNED_URL_SECONDS,
            )
        except Exception as exc:  # an unreachable store: try the next copy, else stream as usual
            logger.warning("cannot sign a URL at %s for %s: %s", location, artifact.sha256, exc)
    return None
