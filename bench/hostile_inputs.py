"""Hostile-input benchmark: how long the compiler, the Malloy parser and the archive reader take on inputs
built to make them slow, each beside the bound it once had as a test assertion.

    python bench/hostile_inputs.py              # median of 3 runs per input
    python bench/hostile_inputs.py --runs 7

The tests check what these inputs yield (a compile error, a capped outline, INVALID_ARCHIVE in bounded
memory); how long that takes depends on the machine and its load, so it is measured here instead. Each
line prints the median and the slowest run in milliseconds, the former bound, and whether the median was
within it ("over" on a loaded machine is a figure to look at, not a failure). The archive bombs come from
``tests/indexing/bombs.py``, the same inputs the tests read. The component API case runs one request
through the real URL, authentication and serializers in a throwaway test database (SQLite without
DATABASE_URL).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __name__ == "__main__":  # runnable as a script from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

from django.db import connection

from components_app.compiler import CompilationError, comment_tag_compiler
from packages_app.archives import ArchiveLimits, iter_archive, read_manifest
from packages_app.indexing.extract import extract_entries
from packages_app.indexing.malloy import parse_malloy
from registry.errors import RegistryError
from tests.indexing.bombs import CATALOGUE
from tests.indexing.builders import manifest_files, zip_bytes

MALLOY_STATEMENTS = [
    "run: a ",
    "source: a is b ",
    "given: a :: t ",
    "query: q is a -> v ",
    "source: s is t extend { join_one: a is b ",
]


def timed(run: Callable[[], object], runs: int) -> list[float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return timings


def report(label: str, timings: list[float], bound: float) -> None:
    median = statistics.median(timings)
    verdict = "within" if median < bound else "OVER"
    print(
        f"{label:<68} {median * 1000:9.1f} {max(timings) * 1000:9.1f} {bound * 1000:8.0f}  {verdict}",
        flush=True,
    )


def expecting(error: type[Exception], run: Callable[[], object]) -> Callable[[], None]:
    def call() -> None:
        try:
            run()
        except error:
            return
        raise AssertionError(f"{run} did not raise {error.__name__}")

    return call


# --- Components -----------------------------------------------------------------------------------------


def compiler_cases() -> list[tuple[str, Callable[[], object], float]]:
    inner = "// @prop x: string = a" + " " * 60_000 + "b"
    cases = [
        ("compiler: 60,000 spaces inside a prop default", expecting(CompilationError, lambda: compile_(inner)), 0.5)
    ]
    for name, spaces in (("spaces", " "), ("tabs", "\t")):
        run = spaces * 60_000
        content = f'// @prop x: string = "a"{run}-{run}The name\n// @prop y?: number{run}-{run}A number\n'
        cases.append((f"compiler: 60,000 {name} around description dashes", lambda c=content: compile_(c), 0.5))
    return cases


def compile_(content: str):
    return comment_tag_compiler(name="X", type="view", content=content)


def component_api_case(runs: int) -> list[float]:
    """POST .../components with 60,000 spaces in a prop default, answered 400 COMPILATION_ERROR."""
    from django.contrib.auth import get_user_model
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    from registry.models import Grant, Organization, Project, Role
    from registry.tokens import issue_token

    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        user = get_user_model().objects.create_user("bench", "bench@example.com")
        project = Project.objects.create(organization=Organization.objects.create(name="bench"), name="ui")
        Grant.objects.create(project=project, user=user, role=Role.MODELER)
        _, secret = issue_token(user=user, name="bench")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        url = "/v1/organizations/bench/projects/ui/components"
        body = {"name": "Spaces", "type": "view", "content": "// @prop x: string = a" + " " * 60_000 + "b"}
        client.get(url)  # warm: URL resolution, authentication, the token memo

        def post() -> None:
            response = client.post(url, body, format="json")
            assert response.status_code == 400, response.content[:300]
            assert response.json()["error"]["code"] == "COMPILATION_ERROR"

        return timed(post, runs)
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


# --- Malloy and indexing --------------------------------------------------------------------------------


def malloy_cases() -> list[tuple[str, Callable[[], object], float]]:
    runs_line = "run: a " * (1_000_000 // 7)
    cases = [
        (
            "malloy: 1 MB line of runs, capped at 10,000 symbols",
            lambda: parse_malloy(runs_line, max_symbols=10_000),
            1.0,
        )
    ]
    for statement in MALLOY_STATEMENTS:
        text = statement * (100_000 // len(statement))
        cases.append((f"malloy: 100 KB line of {statement.strip()!r}", lambda t=text: parse_malloy(t), 5.0))
    docs = "#(doc) shared\n" * 5_000 + "# tag\n" * 500 + "dimension:\n" + "#(doc) own\n# mine\nd is 1\n" * 3_000
    cases.append(("malloy: 5,000 docs and 3,000 definitions under them", lambda: parse_malloy(docs), 5.0))
    model_docs = "##(doc) line\n" * 200_000
    cases.append(("malloy: 200,000 model doc lines", lambda: parse_malloy(model_docs), 5.0))
    archive = zip_bytes(manifest_files(**{"runs.malloy": runs_line}))
    cases.append(("indexing: archive with a 1 MB line of runs", lambda: extract_entries(io.BytesIO(archive)), 1.0))
    return cases


def bomb_cases() -> list[tuple[str, Callable[[], object], float]]:
    cases = []
    for label, build, limits in CATALOGUE:
        data = build()

        def read(data: bytes = data, limits: dict = limits) -> None:
            fileobj = io.BytesIO(data)
            if not limits:
                read_manifest(fileobj)
            for entry in iter_archive(fileobj, limits=ArchiveLimits(**limits)):
                entry.stream.read()

        cases.append((f"archive bomb: {label}", expecting(RegistryError, read), 2.0))
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per input (the median is reported)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the capped inputs log a truncation warning on every run
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; {args.runs} runs")
    print(f"{'input':<68} {'median ms':>9} {'max ms':>9} {'bound ms':>8}  median vs bound")
    for label, run, bound in compiler_cases() + malloy_cases() + bomb_cases():
        run()  # warm: imports, compiled regular expressions
        report(label, timed(run, args.runs), bound)
    report("component API: POST with 60,000 spaces in a prop (400)", component_api_case(args.runs), 0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
