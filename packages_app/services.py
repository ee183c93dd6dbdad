"""Writes on packages and versions. Each public function is one transaction (or says why it is not)."""

import base64
import binascii
import contextlib
import copy
import logging
import re
import uuid
from dataclasses import dataclass
from enum import Enum
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from packages_app.blobs import Digests, record_artifact, store_blob
from packages_app.models import (
    ArchiveStatus,
    Artifact,
    Dependency,
    LockEntry,
    Package,
    PackageKind,
    Version,
    artifact_key,
)
from packages_app.publishing import add_version, invalid_version, version_exists
from packages_app.replication import validate_replication_count
from packages_app.resolution import requirements_for_publish
from registry.db import lock_keys
from registry.errors import RegistryError, not_found, validation_failed
from registry.models import Project
from registry.naming import parse_version, validate_name

logger = logging.getLogger(__name__)


def default_resource_identifier(project: Project, package_name: str) -> str:
    """``org/project/name``; when another package already holds that (a caller may set any identifier,
    in any organization), the same with a short unique suffix, so nobody can stop a package's creation."""
    identifier = f"{project.organization.name}/{project.name}/{package_name}"
    if Package.objects.filter(resource_identifier=identifier).exists():
        identifier = f"{identifier}:{uuid.uuid4().hex[:8]}"
    return identifier


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


def _lock_package(project: Project, name: str) -> Package | None:
    """The package row, locked until the caller's transaction ends; None if there is none.

    ``FOR NO KEY UPDATE``: publishes of one package take turns and a delete waits, but a publish of a
    package that depends on this one still takes its key share (docs/development.md, "Lock order");
    with ``FOR UPDATE`` two packages published at once, each depending on the other, deadlocked.
    """
    return Package.objects.select_for_update(no_key=True).named(project, name).first()


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


def kind_mismatch(package: Package) -> RegistryError:
    """409: a components package's versions are snapshots of its project's components, made by the v1 publish only."""
    return RegistryError(
        "PACKAGE_KIND_MISMATCH",
        f"Package {package.name} holds the project's components; publish its versions through the v1 API",
        status=409,
        details={"package": package.name, "kind": package.kind},
    )


class NotRead(Enum):
    """The default of ``existing`` in :func:`publish_package`: the caller has not read the package."""

    PACKAGE = "package"


def check_package_metadata(
    *,
    project: Project,
    name: str,
    changes: PackageChanges,
    adds_version: bool,
    existing: Package | NotRead | None = NotRead.PACKAGE,
) -> None:
    """Every check of a publish's package metadata that needs no lock, made before its file is stored.

    The name (length and pattern), the fields ``changes`` sets, whether another package holds the
    resourceIdentifier, and whether the package takes versions through this API. A refusal here leaves
    nothing in storage. The publish transaction checks again with the row locked (a concurrent request
    may have changed things meanwhile), and the database constraints have the last word. ``existing`` is
    the package as the caller already read it (None: there was none), which saves reading it again.
    """
    if existing is NotRead.PACKAGE:
        existing = Package.objects.named(project, name).first()
    if existing is not None and adds_version and existing.kind == PackageKind.COMPONENTS:
        raise kind_mismatch(existing)
    if existing is not None:
        candidate = copy.copy(existing)
    else:
        candidate = Package(
            project=project, name=name, resource_identifier=f"{project.organization.name}/{project.name}/{name}"
        )
    if changes.apply(candidate) or existing is None:  # an unchanged existing package has nothing to check
        full_clean_or_raise(candidate, field_names=PACKAGE_FIELDS, check_unique=False)
    if changes.resource_identifier is not None and (
        existing is None or changes.resource_identifier != existing.resource_identifier
    ):
        holders = Package.objects.filter(resource_identifier=changes.resource_identifier)
        if existing is not None:
            holders = holders.exclude(pk=existing.pk)
        if holders.exists():
            raise validation_failed("resourceIdentifier", "Package with this resource identifier already exists.")


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
    existing: Package | NotRead | None = NotRead.PACKAGE,
) -> PublishResult:
    """Create or update a package and, given a version and a file, publish that version.

    Order matters: everything that can be checked from the request (names, version syntax, md5, the
    package metadata and whether its resourceIdentifier is taken, archive structure) is checked first; the blob is then written to content-addressed storage outside
    the transaction (a blob whose transaction fails is left to the orphan sweep); finally one transaction
    locks the package row, applies the metadata, records the artifact row and adds the version.
    Re-sending a version with the same bytes changes nothing (safe retries); other bytes, or a number
    used before, is VERSION_EXISTS. A caller that has read the package already (the view, to judge the
    caller's role) hands it over as ``existing`` (None when there was none): the checks made before the
    file is stored then read nothing again; the transaction locks and reads the row afresh.
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
    check_package_metadata(
        project=project, name=name, changes=changes, adds_version=version is not None, existing=existing
    )

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
        # The lock order: the project (shared: publishes do not wait for each other, a project delete
        # waits for them and they for it), then the package row.
        if not lock_keys(Project, project.pk):
            raise not_found("Project", project.name)
        package, package_created = _lock_or_create_package(project=project, name=name, changes=changes)
        result = PublishResult(package=package, package_created=package_created)
        previous_copies = package.replication_count
        if not package_created and changes.apply(package):
            full_clean_or_raise(package, field_names=PACKAGE_FIELDS)
            package.save()
            result.updated = True
        replication_grew = not package_created and package.replication_count > previous_copies
        if version is not None and package.kind == PackageKind.COMPONENTS:
            raise kind_mismatch(package)
        if version is not None and upload is not None:
            artifact = record_artifact(digests=upload.digests, media_type=media_type, wrote=wrote)
            result.version, result.version_created = _add_version_or_find_retry(
                package=package,
                version=version,
                artifact=artifact,
                author=author,
                manifest=manifest,
                archive_status=archive_status,
                requirements=requirements,
            )
        if replication_grew:
            from packages_app.tasks import schedule_replication

            schedule_replication(package_id=package.pk)
    return result


def _add_version_or_find_retry(
    *,
    package: Package,
    version: str,
    artifact: Artifact,
    author,
    manifest: dict,
    archive_status: str | None,
    requirements: list,
) -> tuple[Version, bool]:
    """The new version, or the existing one when it holds the same bytes (a retry).

    The package row is locked, and so is the artifact row (by :func:`record_artifact`).
    """
    description = manifest.get("description") if isinstance(manifest.get("description"), str) else ""
    try:
        new = add_version(  # a refused number is refused before anything is written
            package=package,
            version=version,
            artifact=artifact,
            author=author,
            manifest=manifest,
            description=description,
            archive_status=archive_status or ArchiveStatus.UNARCHIVE,
            requirements=requirements,
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


def _lock_package_row(package: Package) -> Package:
    """``package`` re-read under ``FOR UPDATE``; 404 when a concurrent request deleted it meanwhile."""
    locked = Package.objects.select_for_update().filter(pk=package.pk).order_by().first()  # no joins: one row
    if locked is None:
        raise not_found("Package", package.name)
    return locked


def lock_versions_of(packages) -> None:
    """Lock every version of ``packages`` (a queryset), in id order, before they are deleted.

    The next step of the lock order after the packages themselves: a worker writing a version's index
    entries holds that version's row, so the delete waits for it to commit and then sees (and deletes)
    the entries it wrote, instead of collecting the rows first and tripping on the new ones at commit.
    """
    list(
        Version.objects.select_for_update(of=("self",))
        .filter(package__in=packages)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def update_package(*, package: Package, changes: PackageChanges) -> Package:
    """Change a package's metadata; 404 NOT_FOUND when it was deleted before the lock was granted."""
    if changes.replication_count is not None:
        validate_replication_count(changes.replication_count)
    with transaction.atomic():
        locked = _lock_package_row(package)
        previous_copies = locked.replication_count
        if changes.apply(locked):
            full_clean_or_raise(locked, field_names=PACKAGE_FIELDS)
            locked.save()
        if locked.replication_count > previous_copies:
            from packages_app.tasks import schedule_replication

            schedule_replication(package_id=locked.pk)
    return locked


def delete_package(*, package: Package) -> None:
    """Delete a package and its versions; its version numbers stay used. PACKAGE_IN_USE if others depend on it.

    Locks the package row, then its versions (the documented lock order); a concurrent delete that got
    there first makes this one 404 NOT_FOUND.
    """
    with transaction.atomic():
        locked = _lock_package_row(package)
        this_package = Package.objects.filter(pk=locked.pk)
        lock_versions_of(this_package)
        release_packages_for_delete(packages=this_package, what=f"Package {locked.name}")
        try:
            with transaction.atomic():
                locked.delete()
        except ProtectedError as exc:
            raise package_in_use(f"Package {locked.name}", []) from exc


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


def release_packages_of_projects(*, projects, what: str) -> None:
    """The packages of ``projects`` (a queryset) made ready to go with them (a registry.hooks step).

    The caller holds the organization and project rows; the packages and then their versions are
    locked next, in id order (the documented lock order).
    """
    packages = Package.objects.filter(project__in=projects)
    list(packages.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True))
    lock_versions_of(packages)
    release_packages_for_delete(packages=packages, what=what)


def package_in_use(what: str, dependents: list[str]) -> RegistryError:
    return RegistryError(
        "PACKAGE_IN_USE",
        f"{what} cannot be deleted: other package versions depend on it.",
        status=409,
        details={"dependents": dependents},
    )


def set_archive_status(*, version: Version, archive_status: str) -> Version:
    """Archive or unarchive a version. An archived version stays downloadable but is never latest.

    404 NOT_FOUND when the version (or its package) was deleted before the lock was granted.
    """
    if archive_status not in ArchiveStatus.values:
        raise validation_failed("archiveStatus", f"must be one of {', '.join(ArchiveStatus.values)}")
    with transaction.atomic():
        # The version row alone (of=self): locking the joined package too would take the two rows in
        # the opposite order to a package delete, and deadlock with it.
        locked = (
            Version.objects.select_for_update(of=("self",))
            .select_related("package")
            .filter(pk=version.pk)
            .order_by()
            .first()
        )
        if locked is None:  # deleted (with its package) by a concurrent request
            raise not_found("Version", version.version)
        if locked.archive_status != archive_status:
            locked.archive_status = archive_status
            locked.full_clean()
            locked.save(update_fields=["archive_status", "updated_at"])
    return locked
