"""The search: one version of every package in the closure, the highest that satisfies every requirement
on it, backtracking when needed.

The search is resolvelib's (the resolver pip uses), with a greedy first pass that reaches resolvelib's
own answer whenever no choice has to be revisited; cycles in the chosen graph are found with networkx.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import resolvelib

from packages_app.resolution.candidates import ROOT_ID, Candidate, CandidateIndex, Need
from packages_app.resolution.errors import conflict_error, cycle_error
from packages_app.resolution.ranges import parse_range
from packages_app.resolution.requirements import Requirement, refuse_deleted
from registry.errors import RegistryError


@dataclass(frozen=True)
class LockedNode:
    """One package of a resolved closure and the edge it was first reached through (breadth first)."""

    package_id: int
    package_name: str
    version_id: int
    version: str
    parent_id: int | None  # None: a direct dependency of the root
    range: str
    depth: int

    @property
    def label(self) -> str:
        return f"{self.package_name}@{self.version}"


@dataclass(frozen=True)
class Resolution:
    """The outcome of a successful resolution.

    ``nodes`` in breadth-first order from the root; ``edges`` every requirement edge of the chosen
    graph as ``(from_version_id, to_version_id, range)``, the root being ``ROOT_ID``.
    """

    root_label: str
    nodes: tuple[LockedNode, ...]
    edges: tuple[tuple[int, int, str], ...]
    queries: int = 0  # database round trips spent reading candidates

    @property
    def chosen(self) -> dict[str, str]:
        """package name -> chosen version."""
        return {node.package_name: node.version for node in self.nodes}

    @property
    def depth(self) -> int:
        return max((node.depth for node in self.nodes), default=0)


def _choose_greedily(
    index: CandidateIndex, constraints: Mapping[int, frozenset[int]] | None = None
) -> dict[int, Candidate] | None:
    """resolvelib's own first pass, without its per-round bookkeeping; None when it would backtrack.

    Packages are decided in the provider's order (discovery rank), each taking its highest candidate
    that satisfies every requirement known on it, exactly as resolvelib pins them. As long as no choice
    has to be revisited (a dependency with no candidate left, or a new requirement that an earlier
    choice misses), the outcome is the one resolvelib reaches; resolvelib's loop rescans every open
    package each round (quadratic in the closure), so this path keeps large closures fast and leaves
    every conflict to resolvelib. ``constraints`` filter candidates as they do in the provider.
    """
    known: dict[int, list[Need]] = {}
    chosen: dict[int, Candidate] = {}
    heap: list[tuple[int, int]] = []
    constraints = constraints or {}

    def candidates(package_id: int) -> list[Candidate]:
        allowed = constraints.get(package_id)
        every = index.candidates[package_id]
        return every if allowed is None else [c for c in every if c.id in allowed]

    def satisfiable(package_id: int, needs: list[Need]) -> bool:
        return any(all(c.id in need.allowed for need in needs) for c in candidates(package_id))

    def add(need: Need) -> bool:
        if need.package_id in chosen:
            return chosen[need.package_id].id in need.allowed
        if need.package_id not in known:
            known[need.package_id] = []
            heapq.heappush(heap, (index.rank[need.package_id], need.package_id))
        known[need.package_id].append(need)
        return satisfiable(need.package_id, known[need.package_id])

    if not all([add(need) for need in index.needs(index.root)]):
        return None
    while heap:
        _, package_id = heapq.heappop(heap)
        needs = known[package_id]
        candidate = next(c for c in candidates(package_id) if all(c.id in n.allowed for n in needs))
        dependencies = index.needs(candidate)
        if not all(
            dep.package_id in chosen or satisfiable(dep.package_id, [*known.get(dep.package_id, []), dep])
            for dep in dependencies
        ):
            return None  # resolvelib would try an older candidate here
        chosen[package_id] = candidate
        if not all([add(dep) for dep in dependencies]):
            return None
    return chosen


class _Provider(resolvelib.AbstractProvider):
    def __init__(self, index: CandidateIndex, constraints: Mapping[int, frozenset[int]] | None = None):
        self.index = index
        # Candidates allowed per package without requiring the package (how pip applies constraints).
        self.constraints = constraints or {}

    def identify(self, requirement_or_candidate):
        return requirement_or_candidate.package_id

    def narrow_requirement_selection(self, identifiers, resolutions, candidates, information, backtrack_causes):
        # Work on what most recently caused backtracking first (as pip does); otherwise on one package,
        # chosen deterministically, so resolvelib never has to sort every open package each round.
        # The discovery order is also the fast path's (_choose_greedily), so both choose alike.
        causes = {cause.requirement.package_id for cause in backtrack_causes}
        identifiers = list(identifiers)
        preferred = [identifier for identifier in identifiers if identifier in causes]
        return [min(preferred or identifiers, key=self.index.rank.__getitem__)]

    def get_preference(self, identifier, resolutions, candidates, information, backtrack_causes):
        return self.index.rank[identifier]

    def find_matches(self, identifier, requirements, incompatibilities):
        needs = list(requirements[identifier])
        bad = {candidate.id for candidate in incompatibilities[identifier]}
        constraint = self.constraints.get(identifier)
        return [
            candidate
            for candidate in self.index.candidates[identifier]
            if candidate.id not in bad
            and all(candidate.id in need.allowed for need in needs)
            and (constraint is None or candidate.id in constraint)
        ]

    def is_satisfied_by(self, requirement, candidate):
        return candidate.id in requirement.allowed

    def get_dependencies(self, candidate):
        return self.index.needs(candidate)


# --- resolve -------------------------------------------------------------------------------------


def resolve(*, root_label: str, requirements: Sequence[Requirement], root_package_id: int | None = None) -> Resolution:
    """Choose one version of every package in the closure of ``requirements``: the highest that satisfies
    every requirement on it, backtracking when a choice leads to a conflict. Archived versions are not
    chosen.

    ``root_label`` is ``name@version`` of what is being published; when ``root_package_id`` is given, that
    package's only candidate is the root itself, so anything in the closure that needs it either accepts
    the root (a cycle) or conflicts with it.

    Raises 409 INVALID_PACKAGE_DEPENDENCY (``details.conflicts``) or 409 CIRCULAR_DEPENDENCY
    (``details.cycle``, a closed path of ``name@version``); 400 DEPENDENCY_NOT_FOUND when a required
    package was deleted since ``requirements`` were read.
    """
    root_name, _, root_version = root_label.rpartition("@")
    for requirement in requirements:
        parse_range(requirement.range)
        if root_package_id is not None and requirement.package.pk == root_package_id:
            raise cycle_error([root_label, root_label])
    root = Candidate(
        id=ROOT_ID,
        package_id=root_package_id or 0,
        numbers=_numbers(root_version),
        declared=[(r.package.pk, r.range) for r in requirements],
    )
    index = CandidateIndex(root=root, root_package_name=root_name)
    for requirement in requirements:
        index.names[requirement.package.pk] = requirement.package.name
    index.fill()
    unavailable = [r for r in requirements if not index.candidates[r.package.pk]]
    if unavailable:  # a conflict below, unless a package was deleted since it was looked up: say so
        refuse_deleted(unavailable)
    index.labels[ROOT_ID] = root_label

    chosen = _choose_greedily(index)
    if chosen is None:
        chosen = _resolve_with_backtracking(index)
    if root_package_id is not None:
        chosen[root_package_id] = root
    return _build_resolution(index, root_label, chosen)


def _resolve_with_backtracking(index: CandidateIndex) -> dict[int, Candidate]:
    try:
        return _raise_highest(index, _search(index, {}))
    except resolvelib.ResolutionImpossible as impossible:
        raise conflict_error(index, impossible.causes) from None
    except resolvelib.ResolutionTooDeep as too_deep:
        # resolvelib can go round in circles when versions require each other in a loop; say so plainly
        # rather than name a conflict it never established.
        raise RegistryError(
            "INVALID_PACKAGE_DEPENDENCY",
            f"The dependencies could not be resolved: the search gave up after {too_deep.round_count} rounds "
            "(versions that require each other in a loop)",
            status=409,
            details={"conflicts": [], "gaveUp": True},
        ) from None


def _search(index: CandidateIndex, constraints: Mapping[int, frozenset[int]]) -> dict[int, Candidate]:
    """resolvelib's search; the pins reachable from the root, in pin order.

    Runs resolvelib's Resolution directly rather than Resolver.resolve: the latter's result builder
    recurses without end on a cycle of pins that lost its route to the root, and only the reachable pins
    matter here anyway.
    """
    search = resolvelib.resolvers.Resolution(_Provider(index, constraints), resolvelib.BaseReporter())
    state = search.resolve(index.needs(index.root), max_rounds=max(2000, 20 * len(index.candidates)))
    pins = state.mapping
    reachable: dict[int, Candidate] = {}
    queue = deque([index.root])
    while queue:
        for package_id, _ in queue.popleft().declared:
            if package_id not in reachable and package_id in pins:
                reachable[package_id] = pins[package_id]
                queue.append(pins[package_id])
    return reachable


def _raise_highest(index: CandidateIndex, chosen: dict[int, Candidate]) -> dict[int, Candidate]:
    """Raise each package, in decision order, to its highest version that still has a solution.

    resolvelib (like pip) may settle for less: when pinning a later package adds a requirement that an
    earlier pin misses, it re-pins the earlier package lower rather than trying an older later package.
    So, with every earlier package held where it is (a constraint, not a requirement), each package
    tries the higher versions that its fixed requirements admit, highest first, and keeps the first that
    resolves. Only runs after a backtracking search, and only on packages that are not already at the
    highest version their fixed requirements allow.
    """
    rank = index.rank
    for package_id in sorted(rank, key=rank.__getitem__):
        current = chosen.get(package_id)
        if current is None or current.id == ROOT_ID:
            continue
        earlier = {pid for pid in chosen if rank.get(pid, -1) < rank[package_id]}
        fixed_needs = [
            need
            for parent in [index.root, *(chosen[pid] for pid in earlier)]
            for need in index.needs(parent)
            if need.package_id == package_id
        ]
        higher = [
            candidate
            for candidate in index.candidates[package_id]
            if candidate.numbers > current.numbers and all(candidate.id in need.allowed for need in fixed_needs)
        ]
        for candidate in higher:
            constraints = {pid: frozenset([chosen[pid].id]) for pid in earlier}
            constraints[package_id] = frozenset([candidate.id])
            trial = _choose_greedily(index, constraints)
            if trial is None:
                try:
                    trial = _search(index, constraints)
                except (resolvelib.ResolutionImpossible, resolvelib.ResolutionTooDeep):
                    continue
            if trial.get(package_id) is candidate and all(trial.get(pid) is chosen[pid] for pid in earlier):
                chosen = trial
                break
    return chosen


def _numbers(version: str) -> tuple[int, int, int]:
    try:
        major, minor, patch = (int(part) for part in version.split("."))
    except ValueError:
        return (0, 0, 0)
    return (major, minor, patch)


def _build_resolution(index: CandidateIndex, root_label: str, chosen: dict[int, Candidate]) -> Resolution:
    graph = nx.DiGraph()
    graph.add_node(ROOT_ID)
    edges: list[tuple[int, int, str]] = []
    nodes: list[LockedNode] = []
    depth = {ROOT_ID: 0}
    queue = deque([index.root])
    while queue:  # breadth first, so each node records the shortest edge that reaches it
        parent = queue.popleft()
        for package_id, text in sorted(parent.declared, key=lambda item: index.names.get(item[0], "")):
            child = chosen[package_id]
            edges.append((parent.id, child.id, text))
            graph.add_edge(parent.id, child.id)
            if child.id in depth:
                continue
            depth[child.id] = depth[parent.id] + 1
            nodes.append(
                LockedNode(
                    package_id=package_id,
                    package_name=index.names.get(package_id, "?"),
                    version_id=child.id,
                    version=child.version,
                    parent_id=None if parent.id == ROOT_ID else parent.id,
                    range=text,
                    depth=depth[child.id],
                )
            )
            queue.append(child)
    try:
        cycle = nx.find_cycle(graph, source=ROOT_ID)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        path = [index.label(edge[0]) for edge in cycle] + [index.label(cycle[0][0])]
        raise cycle_error(path)
    return Resolution(root_label=root_label, nodes=tuple(nodes), edges=tuple(edges), queries=index.queries)
