"""Resolver benchmark: resolution time and SQL queries for closures of 10 to 5,000 packages.

    python bench/resolve.py                      # SQLite (a throwaway test database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python bench/resolve.py

The synthetic registry generator is importable (tests use it to build large graphs):

    from bench.resolve import build_synthetic_registry
    roots = build_synthetic_registry(project=project, packages=200, versions=5, deps=3, seed=1)
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":  # runnable as a script from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import gc

    import django

    django.setup()
    gc.freeze()  # as the web and worker processes do after startup (config/wsgi.py, config/celery.py)

from packages_app.models import Artifact, Dependency, Package, Version
from registry.models import Project

BENCH_SHA256 = "b" * 64


@dataclass(frozen=True)
class SyntheticRegistry:
    packages: list[Package]
    roots: dict[str, str]  # what a new version would declare: package name -> range
    layers: int


def _versions_of(count: int) -> list[tuple[int, int, int]]:
    """``count`` versions, oldest first: a few majors of a few minors each, like real release histories."""
    return [(1 + index // 4, index % 4, 0) for index in range(count)]


def _range_for(rng: random.Random, target: tuple[int, int, int]) -> str:
    """A range a maintainer would write for a dependency whose current release is ``target``."""
    major, minor, _ = target
    roll = rng.random()
    if roll < 0.6:
        return f"^{major}.{max(0, minor - rng.randint(0, 1))}.0"
    if roll < 0.75:
        return f"~{major}.{minor}.0"
    if roll < 0.95:
        return f">={major}.0.0 <{major + 1}.0.0"
    return "*"


def build_synthetic_registry(
    *,
    project: Project,
    packages: int,
    versions: int = 8,
    deps: int = 3,
    seed: int = 0,
    fan_out: int = 3,
    prefix: str = "s",
) -> SyntheticRegistry:
    """Write ``packages`` packages of ``versions`` versions each into ``project`` with bulk inserts.

    Packages sit in layers that grow ``fan_out`` times per level (a closure of n packages is about
    log(n) deep, as real dependency trees are); every version depends on up to ``deps`` packages of
    the next layer, each package being needed by at least one package above it. Version v of a package
    asks for the major its dependency had when v was released, so the newest versions resolve together
    and older ones ask for older majors. The same seed gives the same registry.
    """
    rng = random.Random(seed)
    sizes: list[int] = []
    while sum(sizes) < packages:
        sizes.append(min(fan_out ** len(sizes), packages - sum(sizes)))
    layers: list[list[int]] = []
    start = 0
    for size in sizes:
        layers.append(list(range(start, start + size)))
        start += size

    artifact, _ = Artifact.objects.get_or_create(
        sha256=BENCH_SHA256, defaults={"md5": "b" * 32, "size": 0, "file": "sha256/bench"}
    )
    org_name = project.organization.name
    names = [f"{prefix}{index}" for index in range(packages)]
    created = Package.objects.bulk_create(
        Package(project=project, name=name, resource_identifier=f"{org_name}/{project.name}/{name}") for name in names
    )
    if created[0].pk is None:  # backends that do not return ids from bulk inserts
        created = list(Package.objects.filter(project=project, name__in=names).order_by("pk"))
    by_index = {index: package for index, package in enumerate(created)}
    numbers = _versions_of(versions)
    version_rows = Version.objects.bulk_create(
        Version(
            package=by_index[index],
            version=f"{major}.{minor}.{patch}",
            major=major,
            minor=minor,
            patch=patch,
            artifact=artifact,
        )
        for index in range(packages)
        for major, minor, patch in numbers
    )
    if version_rows[0].pk is None:
        version_rows = list(Version.objects.filter(package__in=created).order_by("package_id", "pk"))
    rows_by_package = {index: version_rows[index * versions : (index + 1) * versions] for index in range(packages)}

    dependencies = []
    for level, members in enumerate(layers[:-1]):
        below = layers[level + 1]
        # Every package below is needed by someone above; the rest of the edges are random.
        must = {member: [] for member in members}
        for position, child in enumerate(below):
            must[members[position % len(members)]].append(child)
        for member in members:
            children = list(must[member])
            extra = [child for child in rng.sample(below, min(deps, len(below))) if child not in children]
            children += extra[: max(0, deps - len(children))]
            for position, row in enumerate(rows_by_package[member]):
                for child in children:
                    # the dependency's release current when this version came out
                    target = numbers[min(len(numbers) - 1, position * len(numbers) // versions)]
                    dependencies.append(
                        Dependency(
                            version=row,
                            package=by_index[child],
                            reference=names[child],
                            range=_range_for(rng, target),
                        )
                    )
    Dependency.objects.bulk_create(dependencies, batch_size=5000)
    latest = numbers[-1]
    roots = {names[index]: f"^{latest[0]}.0.0" for index in layers[0]}
    return SyntheticRegistry(packages=created, roots=roots, layers=len(layers))


def _measure(closure: int, *, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from packages_app.resolution import Requirement, resolve
    from registry.models import Organization

    organization = Organization.objects.create(name=f"bench{closure}")
    project = Project.objects.create(organization=organization, name="bench")
    started = time.perf_counter()
    synthetic = build_synthetic_registry(project=project, packages=closure, seed=closure)
    build_seconds = time.perf_counter() - started
    by_name = {package.name: package for package in synthetic.packages}
    requirements = [
        Requirement(package=by_name[name], reference=name, range=text) for name, text in synthetic.roots.items()
    ]

    timings, cpu, queries, resolution = [], [], 0, None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            resolution = resolve(root_label="bench-root@1.0.0", requirements=requirements)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        queries = len(captured.captured_queries)
    return {
        "closure": len(resolution.nodes),
        "depth": resolution.depth,
        "median_ms": statistics.median(timings) * 1000,
        "best_ms": min(timings) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        "queries": queries,
        "build_s": build_seconds,
    }


def main(sizes=(10, 100, 1000, 5000), runs: int = 7) -> None:
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    vendor = connection.vendor
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(f"database: {vendor} ({test_db}); 8 versions per package, up to 3 dependencies per version")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; median of {runs} runs")
        print(
            f"{'closure':>8} {'depth':>6} {'median ms':>10} {'best ms':>8} {'cpu ms':>7} {'queries':>8}"
            f" {'depth+3':>8}  (build s)"
        )
        for size in sizes:
            row = _measure(size, runs=runs)
            print(
                f"{row['closure']:>8} {row['depth']:>6} {row['median_ms']:>10.1f} {row['best_ms']:>8.1f}"
                f" {row['cpu_ms']:>7.1f} {row['queries']:>8} {row['depth'] + 3:>8}  ({row['build_s']:.1f})",
                flush=True,
            )
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    sizes = tuple(int(arg) for arg in sys.argv[1:]) or (10, 100, 1000, 5000)
    main(sizes)
