"""Dependency resolution: declared requirements in, one version per package of the closure out.

The one resolver used by both API surfaces and the admin. Ranges are npm-style and parsed by
semantic_version's ``NpmSpec``; the search (highest satisfying version, with backtracking) is resolvelib's,
the resolver pip uses; cycles in the chosen graph are found with networkx.

Candidates are read in bulk before resolvelib runs: one query per layer of the closure (every package
first seen at the same distance from the root is read together), never one query per package. resolvelib
then works on memory only.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx
import resolvelib
from django.db import transaction
from django.db.models import Q
from semantic_version import NpmSpec
from semantic_version import Version as SemVer
from semantic_version.base import AllOf, AnyOf, Range

from packages_app.models import ArchiveStatus, Dependency, LockEntry, Package, Version
from registry.errors import RegistryError, validation_failed
from registry.models import Project
from registry.naming import NAME_MAX_LENGTH, NAME_PATTERN

MAX_RANGE_LENGTH = 200
# Versions listed per package in a conflict report: enough to choose a range, short enough to read.
MAX_AVAILABLE_LISTED = 50
ROOT_ID = 0  # the version being published has no row yet
_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class Requirement:
    """A declared dependency: the package a reference names, and the range asked of it."""

    package: Package
    reference: str
    range: str


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


# --- ranges and references ----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def parse_range(text: str) -> NpmSpec:
    """The NpmSpec for ``text``; a malformed range is a 400 VALIDATION_FAILED."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_RANGE_LENGTH:
        raise validation_failed("dependencies", f"'{text}' is not a version range", range=str(text)[:MAX_RANGE_LENGTH])
    try:
        return NpmSpec(text)
    except ValueError:
        raise validation_failed(
            "dependencies",
            f"'{text}' is not a version range (use npm syntax: 1.2.3, ^1.2.0, ~1.2.0, >=1.0.0 <2.0.0, *)",
            range=text,
        ) from None


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


def parse_requirements(*, project: Project, declared: Mapping[str, str], user) -> list[Requirement]:
    """Turn ``{"<reference>": "<range>"}`` declared in ``project`` into requirements, in one query.

    A reference to a package that does not exist or that ``user`` cannot read is a 400
    DEPENDENCY_NOT_FOUND (the two are not told apart); a bad range is a 400 VALIDATION_FAILED.
    """
    if not isinstance(declared, Mapping):
        raise validation_failed("dependencies", 'must be an object: {"<reference>": "<range>"}')
    if not declared:
        return []
    wanted: dict[str, tuple[str, str, str]] = {}
    for reference, text in declared.items():
        wanted[reference] = _split_reference(project=project, reference=reference)
        parse_range(text)
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
        raise RegistryError(
            "DEPENDENCY_NOT_FOUND",
            f"Dependency '{missing[0]}' was not found",
            status=400,
            details={"reference": missing[0], "missing": missing},
        )
    requirements = [
        Requirement(package=found[tuple(part.lower() for part in wanted[ref])], reference=ref, range=text)
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
                raise _cycle_error([label, label])
    return parse_requirements(project=project, declared=declared, user=user)  # type: ignore[arg-type]


# --- the in-memory registry resolvelib works on --------------------------------------------------


@dataclass(eq=False, slots=True)
class _Candidate:
    id: int  # Version.pk, ROOT_ID for the version being published
    package_id: int
    numbers: tuple[int, int, int]
    declared: list[tuple[int, str]] = field(default_factory=list)  # (package_id, range)

    @property
    def version(self) -> str:
        return "{}.{}.{}".format(*self.numbers)


@dataclass(frozen=True, eq=False)
class _Need:
    """A requirement as resolvelib sees it; ``allowed`` are the ids of the candidates that satisfy it."""

    package_id: int
    range: str
    parent_id: int
    allowed: frozenset[int]


class _Registry:
    """Candidates of every package the resolution may touch, read layer by layer."""

    def __init__(self, *, root: _Candidate, root_package_name: str | None):
        self.root = root
        self.candidates: dict[int, list[_Candidate]] = {}  # newest first
        self.names: dict[int, str] = {}
        self.labels: dict[int, str] = {}
        self._references: dict[int, str] | None = None  # org/project/name of packages whose names clash
        self.by_id: dict[int, _Candidate] = {}
        self.queries = 0
        self.rank: dict[int, int] = {}  # breadth-first discovery order: the order packages are decided in
        self._allowed: dict[tuple[int, str], frozenset[int]] = {}
        self._ascending: dict[int, tuple[list[tuple[int, int, int]], list[int]]] = {}
        self._needs: dict[int, list[_Need]] = {}
        if root.package_id:
            self.candidates[root.package_id] = [root]
            self.names[root.package_id] = root_package_name or ""

    def load(self, package_ids: set[int]) -> None:
        """Read the available versions of ``package_ids`` with their declared dependencies: one query.

        Only integers and ranges, newest first: the version string is its three numbers (a database
        constraint keeps it canonical) and names are read once for the whole closure (``read_names``).
        """
        self.queries += 1
        rows = (
            Version.objects.filter(package__pk__in_array=package_ids, archive_status=ArchiveStatus.UNARCHIVE)
            .order_by("package_id", "-major", "-minor", "-patch")
            .values_list(
                "pk", "package_id", "major", "minor", "patch", "dependencies__package_id", "dependencies__range"
            )
        )
        for package_id in package_ids:
            self.candidates.setdefault(package_id, [])
        last: _Candidate | None = None
        for pk, package_id, major, minor, patch, dep_package_id, dep_range in rows:
            if last is None or last.id != pk:
                last = _Candidate(pk, package_id, (major, minor, patch), [])
                self.candidates[package_id].append(last)
            if dep_package_id is not None:
                last.declared.append((dep_package_id, dep_range))

    def read_names(self) -> None:
        """Names of every package read, for labels and reports: one query."""
        unnamed = [package_id for package_id in self.candidates if package_id not in self.names]
        if unnamed:
            self.queries += 1
            self.names.update(Package.objects.filter(pk__in_array=unnamed).values_list("pk", "name"))
        for candidates in self.candidates.values():
            for candidate in candidates:
                self.by_id[candidate.id] = candidate

    def allowed(self, package_id: int, text: str) -> frozenset[int]:
        key = (package_id, text)
        if key not in self._allowed:
            if package_id not in self._ascending:
                oldest_first = self.candidates[package_id][::-1]
                self._ascending[package_id] = ([c.numbers for c in oldest_first], [c.id for c in oldest_first])
            numbers, ids = self._ascending[package_id]
            self._allowed[key] = frozenset(ids[position] for position in _admitted(text, numbers))
        return self._allowed[key]

    def needs(self, candidate: _Candidate) -> list[_Need]:
        if candidate.id not in self._needs:
            self._needs[candidate.id] = [
                _Need(package_id=pid, range=text, parent_id=candidate.id, allowed=self.allowed(pid, text))
                for pid, text in candidate.declared
            ]
        return self._needs[candidate.id]

    def label(self, candidate_id: int) -> str:
        if candidate_id not in self.labels:  # built when asked: most candidates never need one
            candidate = self.by_id[candidate_id]
            self.labels[candidate_id] = f"{self.display_name(candidate.package_id)}@{candidate.version}"
        return self.labels[candidate_id]

    def display_name(self, package_id: int) -> str:
        """The package's name, or its ``org/project/name`` reference when another package in this
        resolution has the same name (two projects may each have one): reports must not be ambiguous."""
        if self._references is None:
            counts = Counter(name.lower() for name in self.names.values())
            ambiguous = [pid for pid, name in self.names.items() if counts[name.lower()] > 1]
            self._references = {}
            if ambiguous:  # rare: only then is the extra query paid
                self.queries += 1
                self._references = {
                    pk: f"{organization}/{project}/{name}"
                    for pk, name, project, organization in Package.objects.filter(pk__in=ambiguous).values_list(
                        "pk", "name", "project__name", "project__organization__name"
                    )
                }
        return self._references.get(package_id) or self.names.get(package_id, "?")

    def fill(self) -> None:
        """Read candidates breadth first, following only versions some requirement could choose.

        A version can be chosen only if it satisfies a range placed on its package by another version
        that can be chosen, so the dependencies of every other version are never followed.
        """
        seen_ranges: set[tuple[int, str]] = set()
        expanded: set[int] = set()
        pending = list(self.root.declared)
        while pending:
            unread = {package_id for package_id, _ in pending if package_id not in self.candidates}
            if unread:
                self.load(unread)
            next_layer: list[tuple[int, str]] = []
            queue = deque(pending)
            while queue:
                package_id, text = queue.popleft()
                self.rank.setdefault(package_id, len(self.rank))
                if (package_id, text) in seen_ranges:
                    continue
                seen_ranges.add((package_id, text))
                allowed = self.allowed(package_id, text)
                for candidate in self.candidates[package_id]:
                    if candidate.id in allowed and candidate.id not in expanded:
                        expanded.add(candidate.id)
                        for edge in candidate.declared:
                            (queue if edge[0] in self.candidates else next_layer).append(edge)
            pending = next_layer
        self.read_names()


Bound = tuple[tuple[int, int, int], bool]  # (major, minor, patch), inclusive
Interval = tuple[Bound | None, Bound | None]  # None: unbounded on that side
_LOWEST: Interval = (None, None)


def _intervals(clause) -> list[Interval] | None:
    """The versions ``clause`` (as NpmSpec parsed it) admits, as a union of intervals; None if it is not one.

    Our versions have no prerelease or build part, so each Range is a bound on (major, minor, patch);
    an intersection of bounds is one interval, a union of those (``||``) a list of them.
    """
    if isinstance(clause, Range):
        target = tuple(clause.target)[:3]
        if clause.target.prerelease or clause.target.build or clause.operator == "!=":
            return None
        return [
            {
                "<": (None, (target, False)),
                "<=": (None, (target, True)),
                "==": ((target, True), (target, True)),
                ">=": ((target, True), None),
                ">": ((target, False), None),
            }[clause.operator]
        ]
    if isinstance(clause, AllOf):
        low, high = _LOWEST
        for part in clause.clauses:
            intervals = _intervals(part)
            if intervals is None or len(intervals) != 1:
                return None
            part_low, part_high = intervals[0]
            if part_low is not None and (low is None or (part_low[0], not part_low[1]) > (low[0], not low[1])):
                low = part_low
            if part_high is not None and (high is None or (part_high[0], part_high[1]) < (high[0], high[1])):
                high = part_high
        return [(low, high)]
    if isinstance(clause, AnyOf):
        union: list[Interval] = []
        for part in clause.clauses:
            intervals = _intervals(part)
            if intervals is None:
                return None
            union.extend(intervals)
        return union
    return None


@lru_cache(maxsize=4096)
def _range_intervals(text: str) -> list[Interval] | None:
    return _intervals(parse_range(text).clause)


def _admitted(text: str, numbers: list[tuple[int, int, int]]) -> list[int]:
    """Positions in ascending ``numbers`` that the range ``text`` admits (bisection on each interval)."""
    intervals = _range_intervals(text)
    if intervals is None:  # a form with no interval shape: ask semantic_version about each version
        spec = parse_range(text)
        return [i for i, n in enumerate(numbers) if SemVer(major=n[0], minor=n[1], patch=n[2]) in spec]
    positions: set[int] = set()
    for low, high in intervals:
        start = 0 if low is None else (bisect_left if low[1] else bisect_right)(numbers, low[0])
        stop = len(numbers) if high is None else (bisect_right if high[1] else bisect_left)(numbers, high[0])
        positions.update(range(start, stop))
    return sorted(positions)


def _choose_greedily(
    registry: _Registry, constraints: Mapping[int, frozenset[int]] | None = None
) -> dict[int, _Candidate] | None:
    """resolvelib's own first pass, without its per-round bookkeeping; None when it would backtrack.

    Packages are decided in the provider's order (discovery rank), each taking its highest candidate
    that satisfies every requirement known on it, exactly as resolvelib pins them. As long as no choice
    has to be revisited (a dependency with no candidate left, or a new requirement that an earlier
    choice misses), the outcome is the one resolvelib reaches; resolvelib's loop rescans every open
    package each round (quadratic in the closure), so this path keeps large closures fast and leaves
    every conflict to resolvelib. ``constraints`` filter candidates as they do in the provider.
    """
    known: dict[int, list[_Need]] = {}
    chosen: dict[int, _Candidate] = {}
    heap: list[tuple[int, int]] = []
    constraints = constraints or {}

    def candidates(package_id: int) -> list[_Candidate]:
        allowed = constraints.get(package_id)
        every = registry.candidates[package_id]
        return every if allowed is None else [c for c in every if c.id in allowed]

    def satisfiable(package_id: int, needs: list[_Need]) -> bool:
        return any(all(c.id in need.allowed for need in needs) for c in candidates(package_id))

    def add(need: _Need) -> bool:
        if need.package_id in chosen:
            return chosen[need.package_id].id in need.allowed
        if need.package_id not in known:
            known[need.package_id] = []
            heapq.heappush(heap, (registry.rank[need.package_id], need.package_id))
        known[need.package_id].append(need)
        return satisfiable(need.package_id, known[need.package_id])

    if not all([add(need) for need in registry.needs(registry.root)]):
        return None
    while heap:
        _, package_id = heapq.heappop(heap)
        needs = known[package_id]
        candidate = next(c for c in candidates(package_id) if all(c.id in n.allowed for n in needs))
        dependencies = registry.needs(candidate)
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
    def __init__(self, registry: _Registry, constraints: Mapping[int, frozenset[int]] | None = None):
        self.registry = registry
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
        return [min(preferred or identifiers, key=self.registry.rank.__getitem__)]

    def get_preference(self, identifier, resolutions, candidates, information, backtrack_causes):
        return self.registry.rank[identifier]

    def find_matches(self, identifier, requirements, incompatibilities):
        needs = list(requirements[identifier])
        bad = {candidate.id for candidate in incompatibilities[identifier]}
        constraint = self.constraints.get(identifier)
        return [
            candidate
            for candidate in self.registry.candidates[identifier]
            if candidate.id not in bad
            and all(candidate.id in need.allowed for need in needs)
            and (constraint is None or candidate.id in constraint)
        ]

    def is_satisfied_by(self, requirement, candidate):
        return candidate.id in requirement.allowed

    def get_dependencies(self, candidate):
        return self.registry.needs(candidate)


# --- resolve -------------------------------------------------------------------------------------


def resolve(*, root_label: str, requirements: Sequence[Requirement], root_package_id: int | None = None) -> Resolution:
    """Choose one version of every package in the closure of ``requirements``: the highest that satisfies
    every requirement on it, backtracking when a choice leads to a conflict. Archived versions are not
    chosen.

    ``root_label`` is ``name@version`` of what is being published; when ``root_package_id`` is given, that
    package's only candidate is the root itself, so anything in the closure that needs it either accepts
    the root (a cycle) or conflicts with it.

    Raises 409 INVALID_PACKAGE_DEPENDENCY (``details.conflicts``) or 409 CIRCULAR_DEPENDENCY
    (``details.cycle``, a closed path of ``name@version``).
    """
    root_name, _, root_version = root_label.rpartition("@")
    for requirement in requirements:
        parse_range(requirement.range)
        if root_package_id is not None and requirement.package.pk == root_package_id:
            raise _cycle_error([root_label, root_label])
    root = _Candidate(
        id=ROOT_ID,
        package_id=root_package_id or 0,
        numbers=_numbers(root_version),
        declared=[(r.package.pk, r.range) for r in requirements],
    )
    registry = _Registry(root=root, root_package_name=root_name)
    for requirement in requirements:
        registry.names[requirement.package.pk] = requirement.package.name
    registry.fill()
    registry.labels[ROOT_ID] = root_label

    chosen = _choose_greedily(registry)
    if chosen is None:
        chosen = _resolve_with_backtracking(registry)
    if root_package_id is not None:
        chosen[root_package_id] = root
    return _build_resolution(registry, root_label, chosen)


def _resolve_with_backtracking(registry: _Registry) -> dict[int, _Candidate]:
    try:
        return _raise_highest(registry, _search(registry, {}))
    except resolvelib.ResolutionImpossible as impossible:
        raise _conflict_error(registry, impossible.causes) from None
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


def _search(registry: _Registry, constraints: Mapping[int, frozenset[int]]) -> dict[int, _Candidate]:
    """resolvelib's search; the pins reachable from the root, in pin order.

    Runs resolvelib's Resolution directly rather than Resolver.resolve: the latter's result builder
    recurses without end on a cycle of pins that lost its route to the root, and only the reachable pins
    matter here anyway.
    """
    search = resolvelib.resolvers.Resolution(_Provider(registry, constraints), resolvelib.BaseReporter())
    state = search.resolve(registry.needs(registry.root), max_rounds=max(2000, 20 * len(registry.candidates)))
    pins = state.mapping
    reachable: dict[int, _Candidate] = {}
    queue = deque([registry.root])
    while queue:
        for package_id, _ in queue.popleft().declared:
            if package_id not in reachable and package_id in pins:
                reachable[package_id] = pins[package_id]
                queue.append(pins[package_id])
    return reachable


def _raise_highest(registry: _Registry, chosen: dict[int, _Candidate]) -> dict[int, _Candidate]:
    """Raise each package, in decision order, to its highest version that still has a solution.

    resolvelib (like pip) may settle for less: when pinning a later package adds a requirement that an
    earlier pin misses, it re-pins the earlier package lower rather than trying an older later package.
    So, with every earlier package held where it is (a constraint, not a requirement), each package
    tries the higher versions that its fixed requirements admit, highest first, and keeps the first that
    resolves. Only runs after a backtracking search, and only on packages that are not already at the
    highest version their fixed requirements allow.
    """
    rank = registry.rank
    for package_id in sorted(rank, key=rank.__getitem__):
        current = chosen.get(package_id)
        if current is None or current.id == ROOT_ID:
            continue
        earlier = {pid for pid in chosen if rank.get(pid, -1) < rank[package_id]}
        fixed_needs = [
            need
            for parent in [registry.root, *(chosen[pid] for pid in earlier)]
            for need in registry.needs(parent)
            if need.package_id == package_id
        ]
        higher = [
            candidate
            for candidate in registry.candidates[package_id]
            if candidate.numbers > current.numbers and all(candidate.id in need.allowed for need in fixed_needs)
        ]
        for candidate in higher:
            constraints = {pid: frozenset([chosen[pid].id]) for pid in earlier}
            constraints[package_id] = frozenset([candidate.id])
            trial = _choose_greedily(registry, constraints)
            if trial is None:
                try:
                    trial = _search(registry, constraints)
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


def _build_resolution(registry: _Registry, root_label: str, chosen: dict[int, _Candidate]) -> Resolution:
    graph = nx.DiGraph()
    graph.add_node(ROOT_ID)
    edges: list[tuple[int, int, str]] = []
    nodes: list[LockedNode] = []
    depth = {ROOT_ID: 0}
    queue = deque([registry.root])
    while queue:  # breadth first, so each node records the shortest edge that reaches it
        parent = queue.popleft()
        for package_id, text in sorted(parent.declared, key=lambda item: registry.names.get(item[0], "")):
            child = chosen[package_id]
            edges.append((parent.id, child.id, text))
            graph.add_edge(parent.id, child.id)
            if child.id in depth:
                continue
            depth[child.id] = depth[parent.id] + 1
            nodes.append(
                LockedNode(
                    package_id=package_id,
                    package_name=registry.names.get(package_id, "?"),
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
        path = [registry.label(edge[0]) for edge in cycle] + [registry.label(cycle[0][0])]
        raise _cycle_error(path)
    return Resolution(root_label=root_label, nodes=tuple(nodes), edges=tuple(edges), queries=registry.queries)


def _cycle_error(path: list[str]) -> RegistryError:
    return RegistryError(
        "CIRCULAR_DEPENDENCY",
        "Package dependency cycle detected: " + " -> ".join(path),
        status=409,
        details={"cycle": path},
    )


def _conflict_error(registry: _Registry, causes) -> RegistryError:
    """A report a person can act on: for each package, two requirements on it that cannot both hold."""
    by_package: dict[int, list] = defaultdict(list)
    for cause in causes:
        by_package[cause.requirement.package_id].append(cause.requirement)
    conflicts = []
    for package_id, needs in by_package.items():
        unique = list({(need.parent_id, need.range): need for need in needs}.values())
        available = [c.version for c in registry.candidates.get(package_id, [])]
        name = registry.display_name(package_id)
        for required, provided in _clashing_pairs(unique):
            conflicts.append(
                {
                    "package": name,
                    "required": {"by": registry.label(required.parent_id), "version": required.range},
                    "provided": (
                        {"by": registry.label(provided.parent_id), "version": provided.range}
                        if provided is not None
                        else _provided_alone(registry, package_id)
                    ),
                    "available": available[:MAX_AVAILABLE_LISTED],
                }
            )
    first = conflicts[0] if conflicts else None
    message = "Incompatible package versions"
    if first is not None and first["provided"] is None:
        message = f"No available version of {first['package']} satisfies {first['required']['version']}"
    return RegistryError("INVALID_PACKAGE_DEPENDENCY", message, status=409, details={"conflicts": conflicts})


def _provided_alone(registry: _Registry, package_id: int) -> dict | None:
    """What a lone unsatisfiable requirement clashed with: the root itself when it names the root's package."""
    if package_id and package_id == registry.root.package_id:
        root_label = registry.label(ROOT_ID)
        return {"by": root_label, "version": root_label.rpartition("@")[2]}
    return None


def _clashing_pairs(needs: list[_Need]) -> list[tuple[_Need, _Need | None]]:
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


# --- the lock ------------------------------------------------------------------------------------


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
