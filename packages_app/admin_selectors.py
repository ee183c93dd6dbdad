"""Reads behind the staff console: each function owns its joins, so a page costs a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from packages_app.models import (
    Dependency,
    IndexEntry,
    IndexKind,
    IndexStatus,
    LockEntry,
    Package,
    Version,
)
from registry.models import Organization

RECENT_PUBLISHES = 10
ATTENTION_LIMIT = 50


def stuck_cutoffs():
    """(claimed before, waiting since before): past either, the sweeper should already have acted.

    A claim older than the task's hard time limit is dead; a version still ``unknown`` after the
    sweeper's grace period plus two sweeps was missed by it (no beat running, or a broker down).
    """
    now = timezone.now()
    claim_limit = getattr(settings, "CELERY_TASK_TIME_LIMIT", 360)
    waiting_limit = getattr(settings, "INDEX_SWEEP_UNKNOWN_AFTER_SECONDS", 60) + 2 * getattr(
        settings, "INDEX_SWEEP_INTERVAL_SECONDS", 60
    )
    return now - timedelta(seconds=claim_limit), now - timedelta(seconds=waiting_limit)


def versions_needing_attention():
    """Failed indexing, or indexing that never started or never finished in time."""
    claimed_before, waiting_before = stuck_cutoffs()
    return (
        Version.objects.filter(
            Q(index_status=IndexStatus.FAILED)
            | Q(index_status=IndexStatus.INDEXING, index_started_at__lt=claimed_before)
            | Q(index_status=IndexStatus.UNKNOWN, updated_at__lt=waiting_before)
        )
        .select_related("package__project__organization")
        .order_by("-updated_at")
    )


def dashboard_summary() -> dict:
    return {
        "organizations": Organization.objects.count(),
        "packages": Package.objects.count(),
        "versions": Version.objects.count(),
        "recent": list(
            Version.objects.select_related("package__project__organization", "author", "artifact").order_by(
                "-created_at"
            )[:RECENT_PUBLISHES]
        ),
        "attention": list(versions_needing_attention()[:ATTENTION_LIMIT]),
    }


def version_history(package: Package) -> list[Version]:
    """Every version of a package in semver order, newest first, with how many locks use each one."""
    return list(
        package.versions.select_related("artifact", "author")
        .annotate(dependents_count=Count("locked_by__root", distinct=True))
        .newest_first()
    )


@dataclass
class IndexNode:
    entry: IndexEntry
    children: list["IndexNode"] = field(default_factory=list)

    def children_by_kind(self) -> list[tuple[str, list["IndexNode"]]]:
        return group_by_kind(self.children)


def group_by_kind(nodes: list[IndexNode]) -> list[tuple[str, list[IndexNode]]]:
    labels = dict(IndexKind.choices)
    groups: dict[str, list[IndexNode]] = {}
    for node in nodes:
        groups.setdefault(node.entry.kind, []).append(node)
    return [(labels.get(kind, kind), groups[kind]) for kind in sorted(groups, key=_kind_order)]


def _kind_order(kind: str) -> int:
    values = list(IndexKind.values)
    return values.index(kind) if kind in values else len(values)


@dataclass
class VersionSections:
    files: list[IndexEntry]
    index_groups: list[tuple[str, list[IndexNode]]]
    index_count: int
    index_hidden: int
    dependencies: list[Dependency]
    lock: list[LockEntry]
    dependents: list[Version]
    components: list


# The page renders the index as nested lists (a template include per level): bounded, so a model of
# thousands of entries or deep nesting cannot hang the page or exhaust the recursion limit.
INDEX_ENTRIES_SHOWN = 2000
INDEX_DEPTH_SHOWN = 12


def _depth(entry: IndexEntry, by_id: dict[int, IndexEntry]) -> int:
    depth, parent_id, seen = 0, entry.parent_id, set()
    while parent_id in by_id and parent_id not in seen:
        seen.add(parent_id)
        depth += 1
        parent_id = by_id[parent_id].parent_id
    return depth


def version_sections(version: Version) -> VersionSections:
    """What a version's admin page shows, read in one query per section (the index at most
    ``INDEX_ENTRIES_SHOWN`` entries and ``INDEX_DEPTH_SHOWN`` levels deep)."""
    index = IndexEntry.objects.filter(version=version)
    entries = list(index.order_by("path", "line", "id")[:INDEX_ENTRIES_SHOWN])
    total = len(entries) if len(entries) < INDEX_ENTRIES_SHOWN else index.count()
    by_id = {entry.id: entry for entry in entries}
    nodes = {entry.id: IndexNode(entry) for entry in entries}
    roots: list[IndexNode] = []
    files: list[IndexEntry] = []
    shown = 0
    for entry in entries:
        if entry.kind == IndexKind.FILE:
            files.append(entry)
            shown += 1
            continue
        if _depth(entry, by_id) >= INDEX_DEPTH_SHOWN:
            continue
        shown += 1
        parent = nodes.get(entry.parent_id)
        (parent.children if parent is not None else roots).append(nodes[entry.id])
    dependents = list(
        Version.objects.filter(lock_entries__resolved=version)
        .select_related("package__project__organization")
        .distinct()
        .order_by("package__name", "-major", "-minor", "-patch")
    )
    components = list(
        version.component_entries.select_related("component_version__component").order_by("component_version__name")
    )
    return VersionSections(
        files=files,
        index_groups=group_by_kind(roots),
        index_count=total,
        index_hidden=total - shown,
        dependencies=list(version.dependencies.select_related("package__project__organization")),
        lock=list(
            version.lock_entries.select_related("resolved__package__project__organization", "parent__package").order_by(
                "depth", "package__name"
            )
        ),
        dependents=dependents,
        components=components,
    )


@dataclass(frozen=True)
class GraphData:
    """Versions keyed by id and edges (from_id, to_id, range) of a dependency graph."""

    root: Version
    versions: dict[int, Version]
    edges: list[tuple[int, int, str]]


def _versions_by_id(ids) -> dict[int, Version]:
    return {v.id: v for v in Version.objects.filter(id__in=ids).select_related("package__project__organization")}


def locked_closure_graph(version: Version) -> GraphData:
    """The version's lock as a graph: every locked version, and an edge for each declared dependency.

    Each node's dependencies are matched to the version the root's lock chose for that package, so the
    graph is the one the lock describes (three queries whatever its size).
    """
    chosen = dict(LockEntry.objects.filter(root=version).values_list("package_id", "resolved_id"))
    chosen[version.package_id] = version.id
    versions = _versions_by_id(chosen.values())
    edges = [
        (source, chosen[package_id], range_)
        for source, package_id, range_ in Dependency.objects.filter(version_id__in=versions).values_list(
            "version_id", "package_id", "range"
        )
        if package_id in chosen and chosen[package_id] != source
    ]
    return GraphData(root=versions[version.id], versions=versions, edges=edges)


def dependents_graph(version: Version) -> GraphData:
    """Who depends on this version, drawn from it downwards: an edge from each version to its dependents.

    A version's dependents are the versions whose lock holds it; an edge joins two of them when one
    declares a dependency the other satisfies in its lock.
    """
    dependent_ids = set(LockEntry.objects.filter(resolved=version).values_list("root_id", flat=True))
    members = dependent_ids | {version.id}
    chosen = {
        (root_id, package_id): resolved_id
        for root_id, package_id, resolved_id in LockEntry.objects.filter(
            root_id__in=dependent_ids, resolved_id__in=members
        ).values_list("root_id", "package_id", "resolved_id")
    }
    edges = []
    for dependent, package_id, range_ in Dependency.objects.filter(version_id__in=dependent_ids).values_list(
        "version_id", "package_id", "range"
    ):
        target = chosen.get((dependent, package_id))
        if target is not None:
            edges.append((target, dependent, range_))
    versions = _versions_by_id(members)
    return GraphData(root=versions[version.id], versions=versions, edges=edges)
