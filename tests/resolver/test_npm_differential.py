"""Our ranges against node-semver, npm's own implementation: the same ranges accepted, the same versions admitted.

The corpus is generated from a fixed seed over npm's range grammar (operators, partial versions, x/X/*
wildcards, v and = prefixes, hyphen ranges, ||, prereleases, build metadata, odd whitespace) with some of
it mutated or plain garbage, plus the cases issue 18 reported and edge cases by hand. node-semver
(tests/resolver/node/oracle.js, one process for the whole corpus) answers ``semver.validRange`` and
``semver.satisfies`` for every range over 125 X.Y.Z versions; every difference fails the test.
"""

import json
import random
import subprocess

import pytest

from packages_app.resolution.ranges import MAX_RANGE_LENGTH, RangeSyntaxError, admitted, range_intervals

SEEDS = (18, 1918)
RANGES_PER_SEED = 5000

VERSIONS = [f"{a}.{b}.{c}" for a in (0, 1, 2, 3, 10) for b in (0, 1, 2, 3, 10) for c in (0, 1, 2, 3, 4)]

REPORTED = [  # issue 18, in its order
    *["1.2.3  -  2.3.4", "v1.2.3 - v2.3.4", "=1.2.3 - =2.3.4", ">=1.2.3 - 2"],
    *[">= 1.2.3", "^ 1.2.3", "1.2.3   2.3.4", ">=1.0.0\t<2.0.0", "", "^*", "~x", "<=*", "1.2.3 - *", ">=v1.2.3"],
    *["x.1.2", "1.x.3", "1.2.3-", "1.2.3+", "v>=1.2.3"],
    *[">=1.2.3-beta <1.0.0", "1.2.3-beta", "<=1.2.3-beta", "1.2.3+build"],
]
BY_HAND = [
    *["1.2.3", "^1.2.0", "~1.2.0", ">=1.0.0 <2.0.0", "*", "^0.0.3", "^0.1.2", "~1", "1.x", "1.2.X", ">1.x", "<=1.2"],
    *["||", " || ", "x||", "1.2.3 - 2.3.4 - 3", "~>", "^", ">", "<=", "v", "vv1", "=v1.2", "~> 1.2", "~ > 1.2"],
    *["1.2.3+a+b", "+build", "1.2.3+a 1.2.4+b", ">=0.0.0", "<0.0.0-0", "*||<0.0.0-0", "1.2-beta", "*-beta"],
    *["~1.2.3-beta", "^0.0.3-beta", ">1.2.3-beta", "<1.2.3-beta", "1.2.3-0", "1.2.3-beta - 2.3.4-rc", "1 - 2-rc"],
    *["~9007199254740991", ">9007199254740991.x", "9007199254740991.0.0", "9007199254740992", "01.2.3", "1.2.3.4"],
    *["\ufeff1.2.3", "1.2.3\u00a0 2", "1.2.3\x85", "\x1c1.2.3", "1.2.3\n||\n2", ">=1.2.3,<2"],
]

NUMBERS = ["0", "1", "2", "3", "4", "9", "10", "11", "01", "00", "99999999999999999999", "9007199254740991"]
NUMBER_WEIGHTS = [8, 10, 8, 6, 3, 3, 4, 1, 0.2, 0.2, 0.05, 0.05]
WHITESPACE = ["", " ", "  ", "\t", " \t ", "\n", "\u00a0", "\u3000", "\x1c", "\x85", "\ufeff", "\u2028"]
WHITESPACE_WEIGHTS = [4, 30, 3, 2, 1, 1, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1]
OPERATORS = ["", "=", "<", "<=", ">", ">=", "~", "~>", "^", "==", "=>", "!=", ">>", "<>", "=<", "~=", "^~"]
OPERATOR_WEIGHTS = [12, 3, 4, 5, 4, 6, 5, 2, 6, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1]
PREFIXES = ["", "v", "=", "V", "vv", "=v", "v=", " v", "v ", "= "]
PREFIX_WEIGHTS = [40, 3, 2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]
PRERELEASES = ["beta", "0", "alpha.1", "rc.2", "01", "x", "", "beta..1", "a-b", "0a", "alpha.01"]
BUILDS = ["build", "001", "exp.sha.5114f85", "", "a..b", "b-1"]
GARBAGE = " \t.-+|<>=~^*xXv0123456789ab,"


def pick(rng, items, weights=None):
    return rng.choices(items, weights=weights)[0]


def partial_version(rng):
    parts = pick(rng, [1, 2, 3, 4], [2, 2, 10, 0.1])
    text = ".".join(
        pick(rng, ["x", "X", "*"]) if rng.random() < 0.15 else pick(rng, NUMBERS, NUMBER_WEIGHTS) for _ in range(parts)
    )
    if rng.random() < (0.1 if parts == 3 else 0.01):
        text += "-" + pick(rng, PRERELEASES)
    if rng.random() < (0.06 if parts == 3 else 0.01):
        text += "+" + pick(rng, BUILDS)
    if rng.random() < 0.005:
        text += pick(rng, [".", "-", "+", "..", "a"])
    return pick(rng, PREFIXES, PREFIX_WEIGHTS) + text


def comparator(rng):
    operator = pick(rng, OPERATORS, OPERATOR_WEIGHTS)
    space = pick(rng, WHITESPACE, WHITESPACE_WEIGHTS) if operator and rng.random() < 0.15 else ""
    return operator + space + partial_version(rng)


def comparator_set(rng):
    roll = rng.random()
    if roll < 0.15:
        left = partial_version(rng) if rng.random() < 0.85 else comparator(rng)
        right = partial_version(rng) if rng.random() < 0.85 else comparator(rng)
        return left + pick(rng, [" - ", "  -  ", "\t-\t", "-", " -", "- ", " -- "], [12, 2, 1, 1, 1, 1, 0.5]) + right
    if roll < 0.18:
        return ""
    count = pick(rng, [1, 2, 3], [6, 5, 1])
    return "".join((pick(rng, WHITESPACE, WHITESPACE_WEIGHTS) if i else "") + comparator(rng) for i in range(count))


def npm_range(rng):
    text = comparator_set(rng)
    for _ in range(pick(rng, [0, 1, 2], [8, 3, 1])):
        text += pick(rng, ["||", " || ", "  ||  ", "|", "|||", "\t||"], [3, 10, 1, 0.5, 0.3, 0.5]) + comparator_set(rng)
    if rng.random() < 0.1:
        text = pick(rng, WHITESPACE, WHITESPACE_WEIGHTS) + text + pick(rng, WHITESPACE, WHITESPACE_WEIGHTS)
    return text


def garbage(rng):
    return "".join(rng.choice(GARBAGE) for _ in range(rng.randint(0, 14)))


def mutated(rng):
    text = list(npm_range(rng))
    for _ in range(rng.randint(1, 2)):
        at = rng.randint(0, len(text))
        if at < len(text) and rng.random() < 0.5:
            del text[at]
        else:
            text.insert(at, rng.choice(GARBAGE))
    return "".join(text)


def generated(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    makers = [npm_range, garbage, mutated]
    return [pick(rng, makers, [85, 7, 8])(rng) for _ in range(count)]


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    ranges = [*REPORTED, *BY_HAND, *(text for seed in SEEDS for text in generated(seed, RANGES_PER_SEED))]
    return [text for text in dict.fromkeys(ranges) if len(text) <= MAX_RANGE_LENGTH]


@pytest.fixture(scope="module")
def npm_answers(node_semver, corpus) -> list[list[int] | None]:
    """For each range of the corpus: None when npm refuses it, else the indices of VERSIONS it admits."""
    done = subprocess.run(
        node_semver,
        input=json.dumps({"ranges": corpus, "versions": VERSIONS}),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(done.stdout)["answers"]


def our_answer(text: str) -> list[int] | None:
    numbers = sorted(tuple(int(part) for part in version.split(".")) for version in VERSIONS)
    try:
        range_intervals(text)
    except RangeSyntaxError:
        return None
    chosen = {numbers[position] for position in admitted(text, numbers)}
    return [index for index, version in enumerate(VERSIONS) if tuple(map(int, version.split("."))) in chosen]


def differences(corpus, npm_answers) -> list[tuple[str, object, object]]:
    return [
        (text, npm, ours) for text, npm in zip(corpus, npm_answers, strict=True) if (ours := our_answer(text)) != npm
    ]


def test_the_corpus_holds_thousands_of_ranges_npm_accepts_and_thousands_it_refuses(corpus, npm_answers):
    accepted = sum(answer is not None for answer in npm_answers)
    assert len(corpus) > 9000
    assert accepted > 3000
    assert len(corpus) - accepted > 3000
    assert sum(answer not in (None, [], list(range(len(VERSIONS)))) for answer in npm_answers) > 2000


def test_we_accept_exactly_the_ranges_npm_accepts(corpus, npm_answers):
    disagree = [
        (text, "npm accepts" if npm is not None else "npm refuses")
        for text, npm, ours in differences(corpus, npm_answers)
        if (npm is None) != (ours is None)
    ]
    assert disagree == []


def test_every_accepted_range_admits_the_versions_npm_admits(corpus, npm_answers):
    disagree = [
        (text, [VERSIONS[i] for i in npm], [VERSIONS[i] for i in ours])
        for text, npm, ours in differences(corpus, npm_answers)
        if npm is not None and ours is not None
    ]
    assert disagree == []


@pytest.mark.parametrize("text", REPORTED)
def test_each_reported_range_gets_npms_answer(npm_answers, corpus, text):
    assert our_answer(text) == npm_answers[corpus.index(text)]
