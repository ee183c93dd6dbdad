"""Writes on packages and versions. Each public function is one transaction (or says why it is not)."""

import hashlib
from dataclasses import dataclass
from typing import IO

from django.db import IntegrityError, transaction

from packages_app.models import Artifact, Package, UsedVersionNumber, Version, artifact_key, artifact_storage
from registry.errors import RegistryError
from registry.models import Project
from registry.naming import parse_version

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


def store_artifact(*, stream: IO[bytes], digests: Digests, media_type: str = "application/octet-stream") -> Artifact:
    """The artifact for these bytes, writing the blob first if storage does not hold it.

    Runs outside the caller's version transaction on purpose: the blob is written before the version
    row commits, and a blob whose transaction then fails is removed by the orphan sweep. Identical bytes
    share one artifact; re-sending identical bytes restores a missing blob.
    """
    storage = artifact_storage()
    key = artifact_key(digests.sha256)
    if not storage.exists(key):
        stream.seek(0)
        saved = storage.save(key, stream)
        if saved != key:  # a concurrent writer won the race with the same bytes: keep theirs
            storage.delete(saved)
    artifact = Artifact.objects.filter(sha256=digests.sha256).first()
    if artifact is not None:
        return artifact
    try:
        with transaction.atomic():
            return Artifact.objects.create(
                sha256=digests.sha256, md5=digests.md5, size=digests.size, media_type=media_type, file=key
            )
    except IntegrityError:
        return Artifact.objects.get(sha256=digests.sha256)


def default_resource_identifier(project: Project, package_name: str) -> str:
    return f"{project.organization.name}/{project.name}/{package_name}"


def create_version(
    *,
    package: Package,
    version: str,
    artifact: Artifact,
    author,
    manifest: dict | None = None,
    description: str = "",
    tags: list[str] | None = None,
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
    __, created = UsedVersionNumber.objects.get_or_create(
        project=package.project,
        package_name=package.name.lower(),
        version=version,
        defaults={"sha256": artifact.sha256},
    )
    if not created:
        raise RegistryError(
            "VERSION_EXISTS",
            f"Package version {version} already exists",
            status=409,
            details={"version": version},
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
    )
    new.full_clean()
    new.save()
    return new
