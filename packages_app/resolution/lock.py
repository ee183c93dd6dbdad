"""Writing a version's declared dependencies and its resolved lock."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from packages_app.models import Dependency, LockEntry, Package, Version
from packages_app.resolution.candidates import ROOT_ID
from packages_app.resolution.requirements import Requirement, dependency_not_found
from packages_app.resolution.solver import Resolution
from registry.db import lock_keys_in_order


def record_dependencies(*, version: Version, requirements: Sequence[Requirement], resolution: Resolution) -> None:
    """Write ``version``'s declared dependencies and its lock, inside the caller's publish transaction.

    ROOT_ID in ``resolution`` stands for ``version``; the lock never changes afterwards. The packages
    and versions the new rows reference are locked first (:func:`lock_referenced_rows`).
    """
    if not requirements and not resolution.nodes:
        return
    lock_referenced_rows(version=version, requirements=requirements, resolution=resolution)
    with transaction.atomic():
        dependencies = [
            Dependency(version=version, package=r.package, reference=r.reference, range=r.range) for r in requirements
        ]
        for dependency in dependencies:
            dependency.full_clean(validate_unique=False, validate_constraints=False)
        Dependency.objects.bulk_create(dependencies)
        entries = [
            LockEntry(
                root=version,
                package_id=node.package_id,
                resolved_id=version.pk if node.version_id == ROOT_ID else node.version_id,
                parent_id=node.parent_id,
                range=node.range,
                depth=node.depth,
            )
            for node in resolution.nodes
        ]
        LockEntry.objects.bulk_create(entries)


def lock_referenced_rows(*, version: Version, requirements: Sequence[Requirement], resolution: Resolution) -> None:
    """Hold ``FOR KEY SHARE`` on the packages, then the versions, that ``version``'s dependencies and lock
    will reference, each level in id order (docs/development.md, "Lock order").

    Resolution reads them without locks: a delete may have taken one since, or take one before this
    transaction commits, and the foreign-key checks at commit would then fail (a 500). With the locks, a
    delete that came first is seen here (400 DEPENDENCY_NOT_FOUND, what the same publish answers a moment
    later), and one that comes second waits for this publish and finds its new dependents (409
    PACKAGE_IN_USE). The version's own package is locked already (the publish's package lock).
    """
    nodes = [node for node in resolution.nodes if node.version_id != ROOT_ID]
    package_ids = {r.package.pk for r in requirements} | {node.package_id for node in nodes}
    package_ids.discard(version.package_id)
    gone_packages = package_ids - lock_keys_in_order(Package, package_ids)
    version_ids = {node.version_id for node in nodes}
    gone_versions = set() if gone_packages else version_ids - lock_keys_in_order(Version, version_ids)
    if not gone_packages and not gone_versions:
        return
    gone = {node.package_id for node in nodes if node.version_id in gone_versions} | gone_packages
    missing = [r.reference for r in requirements if r.package.pk in gone]
    raise dependency_not_found(missing or [node.label for node in nodes if node.package_id in gone])
