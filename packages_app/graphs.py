"""Reads built on the stored lock: a version's dependency graph, its flattened closure, its dependents.

None of them resolves again: a published version's lock never changes, so what it says is the answer.
Each read is a fixed number of queries whatever the size of the closure.
"""

from __future__ import annotations

import networkx as nx
from django.db.models import Exists, OuterRef, Q, Subquery

from packages_app.models import Dependency, LockEntry, Package, Version, VersionQuerySet


def _lock(version: Version) -> list[LockEntry]:
    return list(
        LockEntry.objects.filter(root=version)
        .select_related("resolved__package__project__organization")  # every node shows its package's path
        .order_by("depth", "package__name")
    )


def version_graph(version: Version) -> dict:
    """The locked closure of ``version`` as JSON: nodes (root at depth 0), edges, depth and layers.

    Node ids are ``name@version``, as in conflict and cycle reports. Edges are every declared
    dependency inside the closure (not only the first edge that reached each node), each pointing at the
    version the lock chose. ``layers`` groups node ids by longest distance from the root (networkx), the
    order a layered drawing uses. Two queries.
    """
    lock = _lock(version)
    chosen = {entry.package_id: entry.resolved for entry in lock}
    chosen_ids = {version.pk: version, **{entry.resolved_id: entry.resolved for entry in lock}}
    declared = Dependency.objects.filter(version_id__in=chosen_ids).values_list("version_id", "package_id", "range")

    graph = nx.DiGraph()
    graph.add_node(version.label)
    edges = []
    for source_id, package_id, text in sorted(declared, key=lambda row: (row[0] != version.pk, row[0], row[1])):
        target = chosen.get(package_id)
        if target is None:  # a lock written before the dependency existed cannot happen; be robust anyway
            continue
        source = chosen_ids[source_id].label
        edges.append({"from": source, "to": target.label, "range": text})
        graph.add_edge(source, target.label)
    nodes = [_node(version, depth=0, root=True)] + [_node(entry.resolved, depth=entry.depth) for entry in lock]
    return {
        "root": version.label,
        "nodes": nodes,
        "edges": edges,
        "depth": max((entry.depth for entry in lock), default=0),
        "layers": _layers(graph, root=version.label),
    }


def _node(version: Version, *, depth: int, root: bool = False) -> dict:
    package = version.package
    return {
        "id": version.label,
        "organizationName": package.project.organization.name,
        "projectName": package.project.name,
        "packageName": package.name,
        "version": version.version,
        "archiveStatus": version.archive_status,
        "depth": depth,
        "root": root,
    }


def _layers(graph: nx.DiGraph, *, root: str) -> list[list[str]]:
    """Node ids by longest path from the root; a (never stored) cycle falls back to shortest paths."""
    if nx.is_directed_acyclic_graph(graph):
        level = {root: 0}
        for node in nx.topological_sort(graph):
            for successor in graph.successors(node):
                level[successor] = max(level.get(successor, 0), level.get(node, 0) + 1)
    else:
        level = nx.single_source_shortest_path_length(graph, root)
    layers: list[list[str]] = [[] for _ in range(max(level.values(), default=0) + 1)]
    for node, depth in level.items():
        layers[depth].append(node)
    return [sorted(layer) for layer in layers]


def flattened_closure(version: Version) -> dict[str, Version]:
    """Every version in ``version``'s locked closure keyed ``name@version``, nearest first. One query."""
    return {entry.resolved.label: entry.resolved for entry in _lock(version)}


def dependencies_of(version: Version):
    """``version``'s declared dependencies, each annotated with ``resolved_version`` from its lock. One query."""
    locked = LockEntry.objects.filter(root=version, package=OuterRef("package_id")).values("resolved__version")[:1]
    return (
        Dependency.objects.filter(version=version)
        .select_related("package__project__organization")
        .annotate(resolved_version=Subquery(locked))
        .order_by("reference")
    )


def dependents_of(
    *, user, version: Version | None = None, package: Package | None = None, direct_only: bool = False
) -> VersionQuerySet:
    """Versions the caller may read whose lock includes ``version`` (or any version of ``package``).

    Each is annotated ``direct``: it declares the dependency itself rather than reaching it through
    another package. Ordered by package path and semver.
    """
    if (version is None) == (package is None):
        raise TypeError("dependents_of needs exactly one of version= or package=")
    target_package_id = package.pk if package is not None else version.package_id
    through = Q(resolved=version) if version is not None else Q(package_id=target_package_id)
    # A lock holds one version per package, so declaring the package means depending on that version.
    direct = Dependency.objects.filter(version=OuterRef("pk"), package_id=target_package_id)
    dependents = (
        Version.objects.visible_to(user)
        .filter(pk__in=LockEntry.objects.filter(through).values("root_id"))
        .annotate(direct=Exists(direct))
        .select_related("package__project__organization")
    )
    if direct_only:
        dependents = dependents.filter(direct=True)
    return dependents.order_by(
        "package__project__organization__name", "package__project__name", "package__name", "major", "minor", "patch"
    )
