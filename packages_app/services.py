"""Writes on packages and versions. Each public function is one transaction (or says why it is not)."""

import base64
import binascii
import contextlib
import hashlib
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from packages_app.models import (
    ArchiveStatus,
    Artifact,
    ArtifactReplica,
    Dependency,
    LockEntry,
    Package,
    PackageKind,
    ReplicaStatus,
    UsedVersionNumber,
    Version,
    artifact_key,
    artifact_storage,
)
from packages_app.replication import storage_locations, validate_replication_count
from packages_app.resolution import record_dependencies, requirements_for_publish, resolve
from packages_app.storage import renew_blob
from registry.db import CompiledQuery, insert_unless_conflict
from registry.errors import RegistryError, validation_failed
from registry.memo import access_changed
from registry.models import Project
from registry.naming import parse_version, validate_name

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


def default_resource_identifier(project: Project, package_name: str) -> str:
    """``org/project/name``; when another package already holds that (a caller may set any identifier,
    in any organization), the same with a short unique suffix, so nobody can stop a package's creation."""
    identifier = f"{project.organization.name}/{project.name}/{package_name}"
    if Package.objects.filter(resource_identifier=identifier).exists():
        identifier = f"{identifier}:{uuid.uuid4().hex[:8]}"
    return identifier


def create_version(
    *,
    package: Package,
    version: str,
    artifact: Artifact,
    author,
    manifest: dict | None = None,
    description: str = "",
    tags: list[str] | None = None,
    archive_status: str = ArchiveStatus.UNARCHIVE,
) -> Version:
    """Add an immutable version to a locked package. The caller holds the package row lock.

    A number used before in this package, even by a deleted version, is refused.
    """
    parsed = parse_version(version)
    if parsed is None:
        raise RegistryError(
            "INVALID_VERSION",
            "Version must follow semantic versioning (MAJOR.MINOR.PATCH)",
            details={"provided": version, "expected": "X.Y.Z format"},
        )
    new = Version(
        package=package,
        version=version,
        major=parsed.major,
        minor=parsed.minor,
        patch=parsed.patch,
        artifact=artifact,
        author=author,
        manifest=manifest or {},
        description=description,
        tags=tags or [],
        archive_status=archive_status,
    )
    # Field checks only. Each of full_clean's other checks would cost a query for something already
    # settled: the references were just looked up, the numbers parsed above, and uniqueness is the
    # UsedVersionNumber row's job (backed, like the check constraints, by the database).
    new.clean_fields(exclude={"package", "artifact", "author"})
    used = UsedVersionNumber(
        project_id=package.project_id, package_name=package.name.lower(), version=version, sha256=artifact.sha256
    )
    if not insert_unless_conflict(used, unique_fields=["project", "package_name", "version"]):
        raise RegistryError(
            "VERSION_EXISTS",
            f"Package version {version} already exists",
            status=409,
            details={"version": version},
        )
    new.save()
    return new


# --- Validation helpers ----------------------------------------------------------------------------

# Model field -> the v0 field name that errors report.
PACKAGE_FIELDS = {
    "name": "packageName",
    "description": "description",
    "replication_count": "replicationCount",
    "resource_identifier": "resourceIdentifier",
    "tags": "tags",
}


def full_clean_or_raise(obj, *, field_names: dict[str, str], check_unique: bool = True) -> None:
    """``obj.full_clean()``, with the first problem raised as VALIDATION_FAILED naming the API field.

    ``check_unique=False`` leaves uniqueness to the database, for a caller that catches the insert's
    IntegrityError: a check by query races with concurrent inserts and costs a query per constraint.
    The field validators still run, and they mirror every check constraint.
    """
    try:
        obj.full_clean(validate_unique=check_unique, validate_constraints=check_unique)
    except ValidationError as exc:
        errors = exc.message_dict
        model_field, messages = next(iter(errors.items()))
        raise validation_failed(
            field_names.get(model_field, model_field),
            messages[0],
            fields={field_names.get(k, k): v for k, v in errors.items()},
        ) from exc


def invalid_version(provided: str) -> RegistryError:
    return RegistryError(
        "INVALID_VERSION",
        "Version must follow semantic versioning (MAJOR.MINOR.PATCH)",
        status=400,
        details={"field": "version.id", "provided": provided, "expected": "X.Y.Z format"},
    )


def version_exists(version: str, *, reason: str) -> RegistryError:
    return RegistryError(
        "VERSION_EXISTS",
        f"Package version {version} already exists",
        status=409,
        details={"version": version, "reason": reason},
    )


# --- Publishing (the v0 create-or-update endpoint) ------------------------------------------------


@dataclass(frozen=True)
class PackageChanges:
    """Package metadata a request sets; None leaves a field as it is."""

    description: str | None = None
    replication_count: int | None = None
    resource_identifier: str | None = None
    tags: list[str] | None = None

    def apply(self, package: Package) -> bool:
        """Set the given fields on ``package``; True when something changed."""
        changed = False
        for name in ("description", "replication_count", "resource_identifier", "tags"):
            value = getattr(self, name)
            if value is not None and getattr(package, name) != value:
                setattr(package, name, value)
                changed = True
        return changed


@dataclass(frozen=True)
class UploadedArchive:
    """A package file already on local disk (or any seekable stream) with its digests."""

    stream: IO[bytes]
    digests: Digests


@dataclass
class PublishResult:
    package: Package
    version: Version | None = None
    package_created: bool = False
    version_created: bool = False
    updated: bool = False

    @property
    def created(self) -> bool:
        return self.package_created or self.version_created


MD5_HEX = re.compile(r"^[0-9a-fA-F]{32}$")


def parse_md5(md5_hash: str) -> str:
    """The md5 ``md5_hash`` names, as lower-case hex; VALIDATION_FAILED when it cannot be an md5 at all.

    Hex (32 characters, any case) is what Credible's clients send; base64 of the 16 bytes (as in
    ``Content-MD5``) is accepted too.
    """
    text = md5_hash.strip()
    if MD5_HEX.match(text):
        return text.lower()
    with contextlib.suppress(binascii.Error, ValueError):
        raw = base64.b64decode(text, validate=True)
        if len(raw) == 16:
            return raw.hex()
    raise validation_failed("md5Hash", "must be the md5 of packageFile as 32 hexadecimal characters")


def verify_md5(*, digests: Digests, md5_hash: str | None) -> None:
    """CHECKSUM_MISMATCH unless ``md5_hash`` is the uploaded file's md5. None skips the check."""
    if md5_hash is None:
        return
    expected = parse_md5(md5_hash)
    if expected != digests.md5:
        raise RegistryError(
            "CHECKSUM_MISMATCH",
            "The md5Hash does not match the uploaded packageFile.",
            status=400,
            details={"expected": expected, "computed": digests.md5, "algorithm": "md5"},
        )


def _media_type(stream: IO[bytes]) -> str:
    from packages_app.archives import detect_format

    return "application/zip" if detect_format(stream) == "zip" else "application/gzip"


_PACKAGE_COLUMNS = [field.attname for field in Package._meta.concrete_fields]


def _locked_package(project_id: int, name: str):
    """Lock the package called ``name`` (lower case) in the project: at most one row, so no ordering.

    (The default ordering would join projects and organizations only to sort that row, and lock theirs.)
    """
    return (
        Package.objects.select_for_update()
        .filter(project_id=project_id, name__lower=name)
        .order_by()
        .values_list(*_PACKAGE_COLUMNS)[:1]
    )


# Every publish runs it: compiled once per thread (see CompiledQuery).
LOCK_PACKAGE = CompiledQuery(_locked_package)


def _lock_package(project: Project, name: str) -> Package | None:
    """The package row, locked until the caller's transaction ends; None if there is none."""
    rows = LOCK_PACKAGE.rows(project_id=project.pk, name=name.lower())
    return Package.from_db(DEFAULT_DB_ALIAS, _PACKAGE_COLUMNS, rows[0]) if rows else None


def _lock_or_create_package(*, project: Project, name: str, changes: PackageChanges) -> tuple[Package, bool]:
    """The package row, locked for this transaction, created first if it is new.

    Two requests creating the same package race on the unique index: the loser's insert waits for the
    winner's commit, fails inside its savepoint, and then locks the winner's row.
    """
    package = _lock_package(project, name)
    if package is not None:
        return package, False
    package = Package(
        project=project,
        name=name,
        resource_identifier=default_resource_identifier(project, name),
    )
    changes.apply(package)
    full_clean_or_raise(package, field_names=PACKAGE_FIELDS, check_unique=False)  # a racing creator waits below
    try:
        with transaction.atomic():
            package.save()
        return package, True
    except IntegrityError as exc:
        existing = _lock_package(project, name)
        if existing is not None:  # a concurrent creator won: publish into theirs
            return existing, False
        # Something else: the checks by query name the field (a resourceIdentifier taken meanwhile, or a
        # check constraint the database applies more strictly than the field's validator).
        full_clean_or_raise(package, field_names=PACKAGE_FIELDS)
        # Package's other unique constraint: its resourceIdentifier was taken, and released again since.
        raise validation_failed("resourceIdentifier", "Package with this resource identifier already exists.") from exc


def publish_package(
    *,
    project: Project,
    name: str,
    author,
    changes: PackageChanges,
    version: str | None = None,
    archive_status: str | None = None,
    upload: UploadedArchive | None = None,
    md5_hash: str | None = None,
) -> PublishResult:
    """Create or update a package and, given a version and a file, publish that version.

    Order matters: everything that can be checked without the database (names, version syntax, md5,
    archive structure) is checked first; the blob is then written to content-addressed storage outside
    the transaction (a blob whose transaction fails is left to the orphan sweep); finally one transaction
    locks the package row, applies the metadata, records the artifact row and adds the version.
    Re-sending a version with the same bytes changes nothing (safe retries); other bytes, or a number
    used before, is VERSION_EXISTS.
    """
    try:
        validate_name(name)
    except ValidationError as exc:
        raise validation_failed("packageName", exc.messages[0]) from exc
    if (version is None) != (upload is None):
        missing = "version" if version is None else "packageFile"
        raise validation_failed(missing, "a version needs both the 'version' part and the 'packageFile' part")
    if archive_status is not None and archive_status not in ArchiveStatus.values:
        raise validation_failed("version.archiveStatus", f"must be one of {', '.join(ArchiveStatus.values)}")
    if version is not None and parse_version(version) is None:
        raise invalid_version(version)
    if changes.replication_count is not None:
        validate_replication_count(changes.replication_count)
    if md5_hash is not None:
        parse_md5(md5_hash)  # a malformed md5Hash is the caller's input error, not a checksum mismatch

    manifest: dict = {}
    requirements: list = []
    if upload is not None:
        from packages_app.archives import read_manifest

        verify_md5(digests=upload.digests, md5_hash=md5_hash)
        manifest = read_manifest(upload.stream)
        # Dependencies are checked (references, ranges, readability) before anything is stored.
        requirements = requirements_for_publish(
            project=project, package_name=name, version=version, declared=manifest.get("dependencies"), user=author
        )
        media_type = _media_type(upload.stream)
        wrote = store_blob(stream=upload.stream, key=artifact_key(upload.digests.sha256), size=upload.digests.size)

    with transaction.atomic():
        package, package_created = _lock_or_create_package(project=project, name=name, changes=changes)
        result = PublishResult(package=package, package_created=package_created)
        previous_copies = package.replication_count
        if not package_created and changes.apply(package):
            full_clean_or_raise(package, field_names=PACKAGE_FIELDS)
            package.save()
            result.updated = True
        replication_grew = not package_created and package.replication_count > previous_copies
        if version is not None and package.kind == PackageKind.COMPONENTS:
            # Its versions are snapshots of the project's components, made by the v1 publish only.
            raise RegistryError(
                "PACKAGE_KIND_MISMATCH",
                f"Package {package.name} holds the project's components; publish its versions through the v1 API",
                status=409,
                details={"package": package.name, "kind": package.kind},
            )
        if version is not None and upload is not None:
            artifact = record_artifact(digests=upload.digests, media_type=media_type, wrote=wrote)
            result.version, result.version_created = _add_version(
                package=package,
                version=version,
                artifact=artifact,
                author=author,
                manifest=manifest,
                archive_status=archive_status,
            )
            if result.version_created:
                # Resolved with the package row locked, so the lock reflects one state of the registry.
                resolution = resolve(
                    root_label=result.version.label, requirements=requirements, root_package_id=package.pk
                )
                record_dependencies(version=result.version, requirements=requirements, resolution=resolution)
                from packages_app.tasks import schedule_indexing, schedule_replication

                package.save(update_fields=["updated_at"])  # auto_now: adding a version modifies the package
                schedule_indexing(result.version.id)
                if package.replication_count > 1:  # the primary copy alone is recorded by store_artifact
                    schedule_replication(artifact_id=artifact.pk)
        if replication_grew:
            from packages_app.tasks import schedule_replication

            schedule_replication(package_id=package.pk)
    return result


def _add_version(
    *,
    package: Package,
    version: str,
    artifact: Artifact,
    author,
    manifest: dict,
    archive_status: str | None,
) -> tuple[Version, bool]:
    """The new version, or the existing one when it holds the same bytes (a retry).

    The package row is locked, and so is the artifact row (by :func:`record_artifact`).
    """
    description = manifest.get("description") if isinstance(manifest.get("description"), str) else ""
    try:
        new = create_version(
            package=package,
            version=version,
            artifact=artifact,
            author=author,
            manifest=manifest,
            description=description,
            archive_status=archive_status or ArchiveStatus.UNARCHIVE,
        )
    except RegistryError as exc:
        if exc.code != "VERSION_EXISTS":
            raise
        # The number is taken: a retry with the same bytes gets the existing version back.
        existing = package.versions.select_related("artifact").filter(version=version).first()
        if existing is None:
            raise version_exists(version, reason="this version number was used before and deleted") from None
        if existing.artifact.sha256 != artifact.sha256:
            raise version_exists(version, reason="it holds other bytes") from None
        return existing, False
    return new, True


def update_package(*, package: Package, changes: PackageChanges) -> Package:
    if changes.replication_count is not None:
        validate_replication_count(changes.replication_count)
    with transaction.atomic():
        locked = Package.objects.select_for_update().get(pk=package.pk)
        previous_copies = locked.replication_count
        if changes.apply(locked):
            full_clean_or_raise(locked, field_names=PACKAGE_FIELDS)
            locked.save()
        if locked.replication_count > previous_copies:
            from packages_app.tasks import schedule_replication

            schedule_replication(package_id=locked.pk)
    return locked


def delete_package(*, package: Package) -> None:
    """Delete a package and its versions; its version numbers stay used. PACKAGE_IN_USE if others depend on it."""
    with transaction.atomic():
        locked = Package.objects.select_for_update().get(pk=package.pk)
        release_packages_for_delete(packages=Package.objects.filter(pk=locked.pk), what=f"Package {locked.name}")
        try:
            with transaction.atomic():
                locked.delete()
        except ProtectedError as exc:
            raise package_in_use(f"Package {locked.name}", []) from exc
        access_changed()  # grants on the package went with it


def outside_dependents(packages) -> list[str]:
    """``name@version`` of versions outside ``packages`` (a queryset) that depend on or locked one of them."""
    outside_dependencies = (
        Dependency.objects.filter(package__in=packages)
        .exclude(version__package__in=packages)
        .select_related("version__package")
    )
    outside_locks = (
        LockEntry.objects.filter(package__in=packages)
        .exclude(root__package__in=packages)
        .select_related("root__package")
    )
    return sorted(
        {f"{d.version.package.name}@{d.version.version}" for d in outside_dependencies[:50]}
        | {f"{e.root.package.name}@{e.root.version}" for e in outside_locks[:50]}
    )


def release_packages_for_delete(*, packages, what: str) -> None:
    """Prepare ``packages`` (a queryset) to be deleted together, inside the caller's transaction.

    Refuses with PACKAGE_IN_USE when a version outside the set depends on (or has locked) one of them;
    otherwise drops the dependency and lock rows of the set's own versions, whose PROTECT foreign keys
    would stop the cascade when one package of the set depends on another.
    """
    dependents = outside_dependents(packages)
    if dependents:
        raise package_in_use(what, dependents)
    LockEntry.objects.filter(root__package__in=packages).delete()
    Dependency.objects.filter(version__package__in=packages).delete()


def package_in_use(what: str, dependents: list[str]) -> RegistryError:
    return RegistryError(
        "PACKAGE_IN_USE",
        f"{what} cannot be deleted: other package versions depend on it.",
        status=409,
        details={"dependents": dependents},
    )


def set_archive_status(*, version: Version, archive_status: str) -> Version:
    """Archive or unarchive a version. An archived version stays downloadable but is never latest."""
    if archive_status not in ArchiveStatus.values:
        raise validation_failed("archiveStatus", f"must be one of {', '.join(ArchiveStatus.values)}")
    with transaction.atomic():
        locked = Version.objects.select_for_update().select_related("package").get(pk=version.pk)
        if locked.archive_status != archive_status:
            locked.archive_status = archive_status
            locked.full_clean()
            locked.save(update_fields=["archive_status", "updated_at"])
    return locked


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
