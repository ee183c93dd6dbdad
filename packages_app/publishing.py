"""Adding a version to a package: the one pipeline both API surfaces publish through.

The v0 create-or-update upload and the v1 component publish each check their own request, store their
artifact and lock the package row; then :func:`add_version` applies the rules every version obeys: a
strict ``X.Y.Z`` number never used before in the package (deleted versions included), the immutable
version row, its declared dependencies and resolved lock, and the indexing and replication that run
after commit. Its errors are defined here once.
"""

from collections.abc import Sequence

from packages_app.models import ArchiveStatus, Artifact, Package, UsedVersionNumber, Version
from packages_app.resolution import Requirement, record_dependencies, resolve
from registry.db import insert_unless_conflict
from registry.errors import RegistryError
from registry.naming import parse_version


def invalid_version(provided, *, latest: str | None = None) -> RegistryError:
    """400 INVALID_VERSION: not ``X.Y.Z``, or (``latest`` given) not above the package's latest version."""
    if latest is None:
        message = "Version must follow semantic versioning (MAJOR.MINOR.PATCH)"
        details = {"provided": provided, "expected": "X.Y.Z format"}
    else:
        message = f"Version {provided} must be greater than the latest version {latest}"
        details = {"provided": provided, "latest": latest}
    return RegistryError("INVALID_VERSION", message, status=400, details=details)


def version_exists(version: str, *, reason: str | None = None) -> RegistryError:
    """409 VERSION_EXISTS; ``reason`` says why when a retry could not be told apart from a clash."""
    details = {"version": version} if reason is None else {"version": version, "reason": reason}
    return RegistryError("VERSION_EXISTS", f"Package version {version} already exists", status=409, details=details)


def number_used(*, package: Package, version: str) -> bool:
    """Whether ``version`` was ever used in ``package`` (a deleted version's number stays used)."""
    return UsedVersionNumber.objects.filter(
        project_id=package.project_id, package_name=package.name.lower(), version=version
    ).exists()


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
    """The version row alone, with the number rules: strict ``X.Y.Z``, never used before in the package.

    Part of :func:`add_version`; fixtures and benchmarks call it for a version with no dependencies and
    no indexing.
    """
    parsed = parse_version(version)
    if parsed is None:
        raise invalid_version(version)
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
        raise version_exists(version)
    new.save()
    return new


def add_version(
    *,
    package: Package,
    version: str,
    artifact: Artifact,
    author,
    manifest: dict | None = None,
    description: str = "",
    tags: list[str] | None = None,
    archive_status: str = ArchiveStatus.UNARCHIVE,
    requirements: Sequence[Requirement] = (),
) -> Version:
    """Add an immutable version to ``package``, inside the caller's transaction, which holds the package row lock.

    Resolution runs with that lock held, so the lock written reflects one state of the registry. Indexing
    (and replication, for a package kept in more than one copy) is enqueued to run after commit.
    """
    from packages_app.tasks import schedule_indexing, schedule_replication

    new = create_version(
        package=package,
        version=version,
        artifact=artifact,
        author=author,
        manifest=manifest,
        description=description,
        tags=tags,
        archive_status=archive_status,
    )
    resolution = resolve(root_label=new.label, requirements=requirements, root_package_id=package.pk)
    record_dependencies(version=new, requirements=requirements, resolution=resolution)
    package.save(update_fields=["updated_at"])  # auto_now: adding a version modifies the package
    schedule_indexing(new.id)
    if package.replication_count > 1:  # the primary copy alone is recorded with the artifact
        schedule_replication(artifact_id=artifact.pk)
    return new
