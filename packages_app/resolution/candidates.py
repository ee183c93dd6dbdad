"""The candidates a resolution may touch, read from the database layer by layer before the search runs.

One query per layer of the closure (every package first seen at the same distance from the root is read
together), never one query per package; the search then works on memory only.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from packages_app.models import ArchiveStatus, Package, Version
from packages_app.resolution.ranges import admitted

ROOT_ID = 0  # the version being published has no row yet


@dataclass(eq=False, slots=True)
class Candidate:
    id: int  # Version.pk, ROOT_ID for the version being published
    package_id: int
    numbers: tuple[int, int, int]
    declared: list[tuple[int, str]] = field(default_factory=list)  # (package_id, range)

    @property
    def version(self) -> str:
        return "{}.{}.{}".format(*self.numbers)


@dataclass(frozen=True, eq=False)
class Need:
    """A requirement as resolvelib sees it; ``allowed`` are the ids of the candidates that satisfy it."""

    package_id: int
    range: str
    parent_id: int
    allowed: frozenset[int]


class CandidateIndex:
    """Candidates of every package the resolution may touch, read layer by layer."""

    def __init__(self, *, root: Candidate, root_package_name: str | None):
        self.root = root
        self.candidates: dict[int, list[Candidate]] = {}  # newest first
        self.names: dict[int, str] = {}
        self.labels: dict[int, str] = {}
        self._references: dict[int, str] | None = None  # org/project/name of packages whose names clash
        self.by_id: dict[int, Candidate] = {}
        self.queries = 0
        self.rank: dict[int, int] = {}  # breadth-first discovery order: the order packages are decided in
        self._allowed: dict[tuple[int, str], frozenset[int]] = {}
        self._ascending: dict[int, tuple[list[tuple[int, int, int]], list[int]]] = {}
        self._needs: dict[int, list[Need]] = {}
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
        last: Candidate | None = None
        for pk, package_id, major, minor, patch, dep_package_id, dep_range in rows:
            if last is None or last.id != pk:
                last = Candidate(pk, package_id, (major, minor, patch), [])
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
            self._allowed[key] = frozenset(ids[position] for position in admitted(text, numbers))
        return self._allowed[key]

    def needs(self, candidate: Candidate) -> list[Need]:
        if candidate.id not in self._needs:
            self._needs[candidate.id] = [
                Need(package_id=pid, range=text, parent_id=candidate.id, allowed=self.allowed(pid, text))
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
