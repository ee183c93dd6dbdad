"""npm ranges over plain X.Y.Z versions: which ranges npm accepts, and which versions each one admits.

npm's meaning is node-semver's (npm's own implementation, strict mode: ``semver.validRange`` and
``semver.satisfies``). node-semver reads a range by rewriting it, step by step, into comparators
(``~1.2`` into ``>=1.2.0 <1.3.0-0``) and validates only the result; what it accepts and what it means is
defined by those steps, quirks included (``+build`` is stripped anywhere, ``^*`` means any version,
``x.1.2`` is refused). So this module takes the same steps with the same patterns, in the same order, and
the differential test (tests/resolver/test_npm_differential.py) checks the outcome against node-semver
itself on thousands of generated ranges. No Python library does this exactly: on that corpus (9,529
ranges) semantic_version's NpmSpec differs from npm on 3,237 and the node-semver port on PyPI on 1,434.

Our versions never carry a prerelease, so the comparators reduce to bounds on (major, minor, patch): a
range is a union of intervals, and the versions it admits are found by bisection over a package's sorted
versions. A comparator with a prerelease keeps npm's meaning for such versions: ``>=1.2.3-beta`` admits
1.2.3 and up, ``<=1.2.3-beta`` and ``<1.2.3-beta`` admit below 1.2.3, ``1.2.3-beta`` admits nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache

from registry.errors import validation_failed

MAX_RANGE_LENGTH = 200  # also Dependency.range's column width

# node-semver's limits and its patterns (semver/internal/re.js, the "safe" variants it matches with:
# in them an unbounded \s* or \s+ outside a character class matches at most one whitespace character).
_MAX_SAFE_INTEGER = 2**53 - 1
_WHITESPACE = (  # JavaScript's \s, what String.trim() strips
    "\t\n\v\f\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_S = f"[{_WHITESPACE}]"
_NUMBER = r"0|[1-9][0-9]*"
_NUMBER_LOOSE = r"[0-9]+"
_PRERELEASE_ID = rf"(?:[0-9]*[a-zA-Z-][a-zA-Z0-9-]*|{_NUMBER})"
_PRERELEASE_ID_LOOSE = rf"(?:[0-9]*[a-zA-Z-][a-zA-Z0-9-]*|{_NUMBER_LOOSE})"
_PRERELEASE = rf"(?:-({_PRERELEASE_ID}(?:\.{_PRERELEASE_ID})*))"
_PRERELEASE_LOOSE = rf"(?:-?({_PRERELEASE_ID_LOOSE}(?:\.{_PRERELEASE_ID_LOOSE})*))"
_BUILD = r"(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))"
_FULL_PLAIN = rf"v?({_NUMBER})\.({_NUMBER})\.({_NUMBER}){_PRERELEASE}?{_BUILD}?"
_LOOSE_PLAIN = (
    rf"[v={_WHITESPACE}]*({_NUMBER_LOOSE})\.({_NUMBER_LOOSE})\.({_NUMBER_LOOSE}){_PRERELEASE_LOOSE}?{_BUILD}?"
)
_GTLT = r"((?:<|>)?=?)"
_X_ID = rf"{_NUMBER}|x|X|\*"
_X_PLAIN = rf"[v={_WHITESPACE}]*({_X_ID})(?:\.({_X_ID})(?:\.({_X_ID})(?:{_PRERELEASE})?{_BUILD}?)?)?"

_SPACES = re.compile(f"{_S}+")
_BUILD_ANYWHERE = re.compile(_BUILD)
_HYPHEN_RANGE = re.compile(rf"^{_S}?({_X_PLAIN}){_S}-{_S}({_X_PLAIN}){_S}?\Z")
_COMPARATOR_TRIM = re.compile(rf"({_S}?){_GTLT}{_S}?({_LOOSE_PLAIN}|{_X_PLAIN})")
_TILDE_TRIM = re.compile(rf"({_S}?)(?:~>?){_S}")
_CARET_TRIM = re.compile(rf"({_S}?)\^{_S}")
_TILDE = re.compile(rf"^(?:~>?){_X_PLAIN}\Z")
_CARET = re.compile(rf"^\^{_X_PLAIN}\Z")
_X_RANGE = re.compile(rf"^{_GTLT}{_S}?{_X_PLAIN}\Z")
_STAR = re.compile(rf"(<|>)?=?{_S}?\*")
_GTE0 = re.compile(rf"^{_S}?>={_S}?0\.0\.0{_S}?\Z")
_COMPARATOR = re.compile(rf"^{_GTLT}{_S}?({_FULL_PLAIN})\Z|^\Z")


class RangeSyntaxError(ValueError):
    """A range npm refuses: the comparator it stopped at (as npm normalized it) and the rule it breaks."""

    def __init__(self, token: str, rule: str):
        super().__init__(f"'{token}': {rule}")
        self.token = token
        self.rule = rule


Version = tuple[int, int, int]
Bound = tuple[Version, bool]  # (major, minor, patch), inclusive
Interval = tuple[Bound | None, Bound | None]  # None: unbounded on that side


def parse_range(text: str, *, reference: str | None = None) -> tuple[Interval, ...]:
    """The versions ``text`` admits, as a union of intervals; a range npm refuses (or one longer than
    MAX_RANGE_LENGTH) is a 400 VALIDATION_FAILED naming ``reference``, the offending token and the rule."""
    try:
        return range_intervals(text)
    except RangeSyntaxError as error:
        shown = text[:MAX_RANGE_LENGTH] if isinstance(text, str) else repr(text)[:MAX_RANGE_LENGTH]
        where = f"'{reference}': " if reference is not None else ""
        raise validation_failed(
            "dependencies",
            f"{where}'{shown}' is not an npm version range: '{error.token}': {error.rule}",
            reference=reference,
            range=shown,
            token=error.token,
            rule=error.rule,
        ) from None


@lru_cache(maxsize=4096)
def _cached_intervals(text: str) -> tuple[Interval, ...]:
    return tuple(interval for part in _js_trim(_SPACES.sub(" ", _js_trim(text))).split("||") for interval in _set(part))


def range_intervals(text: object) -> tuple[Interval, ...]:
    """The intervals ``text`` admits, or RangeSyntaxError: what ``semver.validRange`` refuses, plus the
    length limit (node-semver has none for ranges; our column does)."""
    if not isinstance(text, str):
        raise RangeSyntaxError(repr(text)[:40], "a range is a string")
    if len(text) > MAX_RANGE_LENGTH:
        raise RangeSyntaxError(text[:20] + "...", f"a range has at most {MAX_RANGE_LENGTH} characters")
    return _cached_intervals(text)


def admitted(text: str, numbers: list[Version]) -> list[int]:
    """Positions in ascending ``numbers`` that the range ``text`` admits (bisection on each interval).

    A range npm refuses admits nothing, as ``semver.satisfies`` answers (ranges are validated before they
    are stored, so this only concerns rows written under older rules).
    """
    try:
        intervals = range_intervals(text)
    except RangeSyntaxError:
        return []
    positions: set[int] = set()
    for low, high in intervals:
        start = 0 if low is None else (bisect_left if low[1] else bisect_right)(numbers, low[0])
        stop = len(numbers) if high is None else (bisect_right if high[1] else bisect_left)(numbers, high[0])
        positions.update(range(start, stop))
    return sorted(positions)


# --- node-semver's steps (semver/classes/range.js), strict mode ---------------------------------------


def _js_trim(text: str) -> str:
    return text.strip(_WHITESPACE)


def _set(text: str) -> list[Interval]:
    """One ``||`` alternative: node-semver's Range.parseRange, then the comparators as one interval."""
    text = _BUILD_ANYWHERE.sub("", _js_trim(text))
    text = _HYPHEN_RANGE.sub(_hyphen_replace, text, count=1)
    text = _COMPARATOR_TRIM.sub(r"\1\2\3", text)
    text = _TILDE_TRIM.sub(r"\1~", text)
    text = _CARET_TRIM.sub(r"\1^", text)
    words = _SPACES.split(" ".join(_comparator_words(word) for word in text.split(" ")))
    low: Bound | None = None
    high: Bound | None = None
    for word in words:
        word_low, word_high = _comparator(_GTE0.sub("", _js_trim(word), count=1))
        if word_low is not None and (low is None or (word_low[0], not word_low[1]) > (low[0], not low[1])):
            low = word_low
        if word_high is not None and (high is None or word_high < high):
            high = word_high
    return [(low, high)]


def _comparator_words(word: str) -> str:
    word = _BUILD_ANYWHERE.sub("", word, count=1)
    word = " ".join(_CARET.sub(_caret_replace, part, count=1) for part in _SPACES.split(_js_trim(word)))
    word = " ".join(_TILDE.sub(_tilde_replace, part, count=1) for part in _SPACES.split(_js_trim(word)))
    word = " ".join(_x_range(part) for part in _SPACES.split(word))
    return _STAR.sub("", _js_trim(word), count=1)


def _is_x(part: str | None) -> bool:
    return not part or part in ("x", "X", "*")


def _plus_one(number: str) -> int:
    return int(number) + 1


def _tilde_replace(match: re.Match) -> str:
    major, minor, patch, prerelease = match.group(1, 2, 3, 4)
    if _is_x(major):
        return ""
    if _is_x(minor):
        return f">={major}.0.0 <{_plus_one(major)}.0.0-0"
    if _is_x(patch):
        return f">={major}.{minor}.0 <{major}.{_plus_one(minor)}.0-0"
    suffix = f"-{prerelease}" if prerelease else ""
    return f">={major}.{minor}.{patch}{suffix} <{major}.{_plus_one(minor)}.0-0"


def _caret_replace(match: re.Match) -> str:
    major, minor, patch, prerelease = match.group(1, 2, 3, 4)
    if _is_x(major):
        return ""
    if _is_x(minor):
        return f">={major}.0.0 <{_plus_one(major)}.0.0-0"
    if _is_x(patch):
        if major == "0":
            return f">={major}.{minor}.0 <{major}.{_plus_one(minor)}.0-0"
        return f">={major}.{minor}.0 <{_plus_one(major)}.0.0-0"
    low = f">={major}.{minor}.{patch}" + (f"-{prerelease}" if prerelease else "")
    if major == "0" and minor == "0":
        return f"{low} <{major}.{minor}.{_plus_one(patch)}-0"
    if major == "0":
        return f"{low} <{major}.{_plus_one(minor)}.0-0"
    return f"{low} <{_plus_one(major)}.0.0-0"


def _x_range(word: str) -> str:
    word = _js_trim(word)
    match = _X_RANGE.match(word)
    if match is None:
        return word
    operator, major, minor, patch = match.group(1, 2, 3, 4)
    if (_is_x(major) and not _is_x(minor)) or (_is_x(minor) and patch and not _is_x(patch)):
        return word  # x.1.2, 1.x.3: left for the comparator to refuse
    x_major = _is_x(major)
    x_minor = x_major or _is_x(minor)
    any_x = x_minor or _is_x(patch)
    if operator == "=" and any_x:
        operator = ""
    if x_major:
        return "<0.0.0-0" if operator in (">", "<") else "*"
    if operator and any_x:
        minor_n, patch_n = (0 if x_minor else int(minor)), 0
        major_n = int(major)
        if operator == ">":
            operator = ">="
            if x_minor:
                major_n, minor_n = major_n + 1, 0
            else:
                minor_n += 1
        elif operator == "<=":
            operator = "<"
            if x_minor:
                major_n += 1
            else:
                minor_n += 1
        return f"{operator}{major_n}.{minor_n}.{patch_n}" + ("-0" if operator == "<" else "")
    if x_minor:
        return f">={major}.0.0 <{_plus_one(major)}.0.0-0"
    if any_x:
        return f">={major}.{minor}.0 <{major}.{_plus_one(minor)}.0-0"
    return match.group(0)


def _hyphen_replace(match: re.Match) -> str:
    start, s_major, s_minor, s_patch = match.group(1, 2, 3, 4)
    end, e_major, e_minor, e_patch, e_prerelease = match.group(7, 8, 9, 10, 11)
    if _is_x(s_major):
        start = ""
    elif _is_x(s_minor):
        start = f">={s_major}.0.0"
    elif _is_x(s_patch):
        start = f">={s_major}.{s_minor}.0"
    else:
        start = f">={start}"
    if _is_x(e_major):
        end = ""
    elif _is_x(e_minor):
        end = f"<{_plus_one(e_major)}.0.0-0"
    elif _is_x(e_patch):
        end = f"<{e_major}.{_plus_one(e_minor)}.0-0"
    elif e_prerelease:
        end = f"<={e_major}.{e_minor}.{e_patch}-{e_prerelease}"
    else:
        end = f"<={end}"
    return _js_trim(f"{start} {end}")


def _comparator(word: str) -> Interval:
    """node-semver's Comparator: the bounds it puts on a version with no prerelease, or RangeSyntaxError."""
    match = _COMPARATOR.match(_SPACES.sub(" ", _js_trim(word)))
    if match is None:
        raise RangeSyntaxError(word, _rule_broken(word))
    operator, plain = match.group(1, 2)
    if not plain:
        return (None, None)
    numbers = tuple(int(part) for part in match.group(3, 4, 5))
    if len(plain) > 256 or max(numbers) > _MAX_SAFE_INTEGER:
        raise RangeSyntaxError(word, f"version numbers are at most {_MAX_SAFE_INTEGER} (^, ~ and x ranges add one)")
    target: Version = numbers  # type: ignore[assignment]
    prerelease = match.group(6) is not None
    # A version without a prerelease sorts after target-prerelease and before the next patch.
    if operator in ("", "="):
        return ((target, True), (target, True)) if not prerelease else ((target, False), (target, False))
    if operator == "<":
        return (None, (target, False))
    if operator == "<=":
        return (None, (target, not prerelease))
    if operator == ">":
        return ((target, prerelease), None)
    return ((target, True), None)  # >=


# --- telling a person what is wrong ---------------------------------------------------------------

_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"[^\x21-\x7e]"), "only ASCII letters, digits, spaces and . - + < > = ~ ^ * | belong in a range"),
    (
        re.compile(r"^-"),
        "a hyphen range is two versions, without operators, with a space each side of '-': 1.2.3 - 2.3.4",
    ),
    (re.compile(r"^[<>]=="), "no '=' after another operator (in a hyphen range: 1.2.3 - 2.3.4, not =1.2.3 - =2.3.4)"),
    (re.compile(r"^[<>=~^]+$"), "an operator needs a version after it: >=1.2.3"),
    (re.compile(r"^[v=]+[<>~^]"), "the operator comes first: >=v1.2.3 or >=1.2.3, not v>=1.2.3"),
    (re.compile(r"^[<>=~^]+[^<>=~^]+[<>=~^]"), "one operator per comparator; comparators are separated by spaces"),
    (
        re.compile(r"(^|[^0-9a-zA-Z])[xX*]\.[0-9]|\.[xX*]\.[0-9]"),
        "only wildcards may follow a wildcard: 1.x.x or 1.2.*, not x.1.2 or 1.x.3",
    ),
    (
        re.compile(r"^[<>=~^v]*[0-9xX*]+(\.[0-9xX*]+)?-"),
        "a prerelease follows all three parts: 1.2.0-beta, not 1.2-beta",
    ),
    (
        re.compile(r"[-+.]$|[-+.][-+.]"),
        "a prerelease (-beta.1) or build (+build.5) is identifiers of letters, digits and '-' separated by single dots",
    ),
    (re.compile(r"(^|[^0-9a-zA-Z])0[0-9]|\.0[0-9]"), "numbers have no leading zeros"),
    (re.compile(r"([0-9xX*]+\.){3}[0-9xX*]"), "a version has at most three parts: major.minor.patch"),
]
_DEFAULT_RULE = (
    "expected an optional operator (<, <=, >, >=, =, ~, ^) and a version: 1.2.3, 1.2 or 1, with x, X or * "
    "as wildcards; comparators are separated by spaces, alternatives by ||"
)


def _rule_broken(token: str) -> str:
    return next((rule for pattern, rule in _RULES if pattern.search(token)), _DEFAULT_RULE)
