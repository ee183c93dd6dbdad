"""Human-readable output: aligned tables, dependency trees and the release validation report.

Every function returns lines, so tests read exactly what a person would see.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

# The admin's words for a version's archiveStatus (packages_app.models.ArchiveStatus labels).
ARCHIVE_LABELS = {"archive": "Archived", "unarchive": "Available"}


def archive_label(status: Any) -> Any:
    """``archive``/``unarchive`` as the admin says them, Archived/Available; anything else as it is."""
    return ARCHIVE_LABELS.get(status, status) if isinstance(status, str) else status


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> list[str]:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]


def fields(obj: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    present = [key for key in keys if key in obj]
    width = max((len(key) for key in present), default=0)
    lines = []
    for key in present:
        value = obj[key]
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value) or "-"
        lines.append(f"{key.ljust(width)}  {'-' if value in (None, '') else value}")
    return lines


def tree_lines(root: str, children: Mapping[str, Sequence[tuple[str, str]]]) -> Iterator[str]:
    """Indented lines from ``root``; a subtree already shown is marked, a cycle is cut and marked."""
    shown: set[str] = set()

    def walk(node: str, label: str, depth: int, ancestors: frozenset[str]) -> Iterator[str]:
        if node in ancestors:
            yield "  " * depth + label + "  (cycle)"
            return
        if node in shown and children.get(node):
            yield "  " * depth + label + "  (see above)"
            return
        yield "  " * depth + label
        shown.add(node)
        for child, child_label in children.get(node, ()):
            yield from walk(child, child_label, depth + 1, ancestors | {node})

    yield from walk(root, root, 0, frozenset())


def _names(ids: Iterable[Any], names_by_id: Mapping[str, str]) -> str:
    return ", ".join(names_by_id.get(str(i), str(i)) for i in ids) or "-"


def validation_report(result: Mapping[str, Any]) -> list[str]:
    """The v1 release answer ``{package, validation}`` as lines, with component ids shown by name."""
    package = result.get("package") or {}
    validation = result.get("validation") or {}
    names = {str(c.get("id")): c.get("name", str(c.get("id"))) for c in package.get("components") or []}
    lines = []
    changes = validation.get("componentChanges") or {}
    if changes:
        lines.append("component changes:")
        lines.extend(f"  {kind}: {_names(ids, names)}" for kind, ids in changes.items())
    statuses = validation.get("statusChanges") or {}
    if statuses:
        lines.append("status changes (previous status):")
        lines.extend(f"  {status}: {_names(ids, names)}" for status, ids in statuses.items())
    increments = validation.get("versionIncrements") or {}
    if increments:
        lines.append("version increments:")
        for component_id, step in increments.items():
            before = step.get("from") if isinstance(step, dict) else None
            after = step.get("to") if isinstance(step, dict) else step
            lines.append(f"  {names.get(str(component_id), component_id)}: {before or 'new'} -> {after}")
    return lines
