"""The two ways a resolution fails, as reports a person can act on."""

from __future__ import annotations

from collections import defaultdict

from packages_app.resolution.candidates import ROOT_ID, CandidateIndex, Need
from registry.errors import RegistryError

# Versions listed per package in a conflict report: enough to choose a range, short enough to read.
MAX_AVAILABLE_LISTED = 50


def cycle_error(path: list[str]) -> RegistryError:
    return RegistryError(
        "CIRCULAR_DEPENDENCY",
        "Package dependency cycle detected: " + " -> ".join(path),
        status=409,
        details={"cycle": path},
    )


def conflict_error(index: CandidateIndex, causes) -> RegistryError:
    """A report a person can act on: for each package, two requirements on it that cannot both hold."""
    by_package: dict[int, list] = defaultdict(list)
    for cause in causes:
        by_package[cause.requirement.package_id].append(cause.requirement)
    conflicts = []
    for package_id, needs in by_package.items():
        unique = list({(need.parent_id, need.range): need for need in needs}.values())
        available = [c.version for c in index.candidates.get(package_id, [])]
        name = index.display_name(package_id)
        for required, provided in _clashing_pairs(unique):
            conflicts.append(
                {
                    "package": name,
                    "required": {"by": index.label(required.parent_id), "version": required.range},
                    "provided": (
                        {"by": index.label(provided.parent_id), "version": provided.range}
                        if provided is not None
                        else _provided_alone(index, package_id)
                    ),
                    "available": available[:MAX_AVAILABLE_LISTED],
                }
            )
    first = conflicts[0] if conflicts else None
    message = "Incompatible package versions"
    if first is not None and first["provided"] is None:
        message = f"No available version of {first['package']} satisfies {first['required']['version']}"
    return RegistryError("INVALID_PACKAGE_DEPENDENCY", message, status=409, details={"conflicts": conflicts})


def _provided_alone(index: CandidateIndex, package_id: int) -> dict | None:
    """What a lone unsatisfiable requirement clashed with: the root itself when it names the root's package."""
    if package_id and package_id == index.root.package_id:
        root_label = index.label(ROOT_ID)
        return {"by": root_label, "version": root_label.rpartition("@")[2]}
    return None


def _clashing_pairs(needs: list[Need]) -> list[tuple[Need, Need | None]]:
    """Pairs of requirements no single candidate satisfies; a lone requirement nothing satisfies."""
    lonely = [(need, None) for need in needs if not need.allowed]
    pairs = [
        (a, b)
        for index, a in enumerate(needs)
        for b in needs[index + 1 :]
        if a.allowed and b.allowed and not (a.allowed & b.allowed)
    ]
    if lonely or pairs:
        return lonely + pairs
    # No two clash on their own (three or more together do, or a candidate was ruled out by its own
    # dependencies): show them side by side so the whole set is visible.
    if len(needs) == 1:
        return [(needs[0], None)]
    return [(needs[0], other) for other in needs[1:]]
