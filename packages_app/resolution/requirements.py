"""Declared dependencies: references (``package``, ``project/package``, ``org/project/package``) and
ranges turned into requirements on packages the caller may read."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import Q

from packages_app.models import Package
from packages_app.resolution.errors import cycle_error
from packages_app.resolution.ranges import parse_range
from registry.errors import RegistryError, validation_failed
from registry.models import Project
from registry.naming import NAME_MAX_LENGTH, NAME_PATTERN

_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class Requirement:
    """A declared dependency: the package a reference names, and the range asked of it."""

    package: Package
    reference: str
    range: str


def _split_reference(*, project: Project, reference: str) -> tuple[str, str, str]:
    """(organization, project, package) named by ``package``, ``project/package`` or ``org/project/package``."""
    if not isinstance(reference, str):
        raise validation_failed("dependencies", "a dependency reference must be a string")
    parts = reference.split("/")
    if not 1 <= len(parts) <= 3 or not all(_NAME.match(part) and len(part) <= NAME_MAX_LENGTH for part in parts):
        raise validation_failed(
            "dependencies",
            f"'{reference[:200]}' is not a package reference (package, project/package or org/project/package)",
            reference=reference[:200],
        )
    defaults = [project.organization.name, project.name]
    return tuple(defaults[: 3 - len(parts)] + parts)  # type: ignore[return-value]


def dependency_not_found(missing: list[str]) -> RegistryError:
    """400 DEPENDENCY_NOT_FOUND naming the ``missing`` references."""
    return RegistryError(
        "DEPENDENCY_NOT_FOUND",
        f"Dependency '{missing[0]}' was not found",
        status=400,
        details={"reference": missing[0], "missing": missing},
    )


def refuse_deleted(requirements: Sequence[Requirement]) -> None:
    """400 DEPENDENCY_NOT_FOUND, as before the publish, when a package of ``requirements`` was deleted
    since its reference was looked up (one query); otherwise nothing."""
    ids = [requirement.package.pk for requirement in requirements]
    present = set(Package.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [requirement.reference for requirement in requirements if requirement.package.pk not in present]
    if missing:
        raise dependency_not_found(missing)


def parse_requirements(*, project: Project, declared: Mapping[str, str], user) -> list[Requirement]:
    """Turn ``{"<reference>": "<range>"}`` declared in ``project`` into requirements, in one query.

    A reference to a package that does not exist or that ``user`` cannot read is a 400
    DEPENDENCY_NOT_FOUND (the two are not told apart); a range npm refuses is a 400 VALIDATION_FAILED whose
    details name the reference, the offending token and the rule (``ranges.parse_range``). An empty range,
    which npm reads as any version, is recorded as ``*``.
    """
    if not isinstance(declared, Mapping):
        raise validation_failed("dependencies", 'must be an object: {"<reference>": "<range>"}')
    if not declared:
        return []
    wanted: dict[str, tuple[str, str, str]] = {}
    for reference, text in declared.items():
        wanted[reference] = _split_reference(project=project, reference=reference)
        parse_range(text, reference=reference)
    lookup = Q()
    for org_name, project_name, package_name in set(wanted.values()):
        lookup |= Q(
            project__organization__name__lower=org_name.lower(),
            project__name__lower=project_name.lower(),
            name__lower=package_name.lower(),
        )
    found = {
        (p.project.organization.name.lower(), p.project.name.lower(), p.name.lower()): p
        for p in Package.objects.visible_to(user).filter(lookup).select_related("project__organization")
    }
    missing = [ref for ref, parts in wanted.items() if tuple(part.lower() for part in parts) not in found]
    if missing:
        raise dependency_not_found(missing)
    requirements = [
        Requirement(package=found[tuple(part.lower() for part in wanted[ref])], reference=ref, range=text or "*")
        for ref, text in declared.items()
    ]
    seen: dict[int, str] = {}
    for requirement in requirements:
        if requirement.package.pk in seen:
            raise validation_failed(
                "dependencies",
                f"'{seen[requirement.package.pk]}' and '{requirement.reference}' name the same package",
                references=[seen[requirement.package.pk], requirement.reference],
            )
        seen[requirement.package.pk] = requirement.reference
    return requirements


def requirements_for_publish(
    *, project: Project, package_name: str, version: str, declared: object, user
) -> list[Requirement]:
    """The requirements a ``publisher.json`` declares for ``package_name@version``, checked before storing.

    ``declared`` is the manifest's ``dependencies`` (absent: none). Naming the package being published
    is a 409 CIRCULAR_DEPENDENCY even when that package does not exist yet.
    """
    if declared is None:
        return []
    if isinstance(declared, Mapping):
        own = (project.organization.name.lower(), project.name.lower(), package_name.lower())
        for reference in declared:
            if tuple(part.lower() for part in _split_reference(project=project, reference=reference)) == own:
                label = f"{package_name}@{version}"
                raise cycle_error([label, label])
    return parse_requirements(project=project, declared=declared, user=user)  # type: ignore[arg-type]


# --- the in-memory registry resolvelib works on --------------------------------------------------
