"""Writing a version's declared dependencies and its resolved lock."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from packages_app.models import Dependency, LockEntry, Version
from packages_app.resolution.candidates import ROOT_ID
from packages_app.resolution.requirements import Requirement
from packages_app.resolution.solver import Resolution


def record_dependencies(*, version: Version, requirements: Sequence[Requirement], resolution: Resolution) -> None:
    """Write ``version``'s declared dependencies and its lock, inside the caller's publish transaction.

    ROOT_ID in ``resolution`` stands for ``version``; the lock never changes afterwards.
    """
    if not requirements and not resolution.nodes:
        return
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
