"""npm-style version ranges over plain X.Y.Z versions: parsing, and which versions a range admits.

A range is parsed once (cached) and turned into a union of intervals on (major, minor, patch), so the
versions it admits are found by bisection over a package's sorted versions.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import lru_cache

from semantic_version import NpmSpec
from semantic_version import Version as SemVer
from semantic_version.base import AllOf, AnyOf, Range

from registry.errors import validation_failed

MAX_RANGE_LENGTH = 200


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


def admitted(text: str, numbers: list[tuple[int, int, int]]) -> list[int]:
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
