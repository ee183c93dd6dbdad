"""Staff console benchmark: the dependency-graph admin page for locked closures of 50 to 1,000 versions.

    python bench/admin_graph.py                  # SQLite (a throwaway test database)
    python bench/admin_graph.py --layout         # only the layout of random DAGs, no database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python bench/admin_graph.py

First times the layout alone (``packages_app.graph_svg.layout``: grandalf's ordering, placement and edge
routing) on seeded random DAGs of 50 to 500 nodes. Then builds each closure with the resolver's synthetic
registry generator, resolves and locks a root version, and times GET /admin/packages_app/version/<id>/graph/
(the whole request: queries, layout, SVG and template) and counts its queries.

``random_dag`` is importable: the layout tests check their geometry on the same graphs.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # runnable as a script from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


RANGES = ("^1.0.0", "~2.3.0", ">=2.0.0 <3.0.0", "^10.12.0", "*", ">=1.2.3 <1.9.0 || ^2.0.0", "1.4.2")


def random_dag(size: int, *, seed: int):
    """``size`` nodes ``n0``..: every node after the first depends on 1 to 3 earlier ones, at random (seeded).

    Edges often span many layers, which is the hard case for a layered drawing. Returns (nodes, edges) for
    ``packages_app.graph_svg``; ``n0`` is the root.
    """
    from packages_app.graph_svg import Edge, Node

    rng = random.Random(seed)
    nodes = [
        Node(key=f"n{i}", label=f"pkg-{i}@{rng.randint(0, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}")
        for i in range(size)
    ]
    edges = [
        Edge(source=f"n{j}", target=f"n{i}", label=rng.choice(RANGES))
        for i in range(1, size)
        for j in sorted(rng.sample(range(i), min(i, rng.randint(1, 3))))
    ]
    return nodes, edges


def measure_layout(sizes=(50, 200, 500), runs: int = 3) -> None:
    from packages_app.graph_svg import layout

    print(f"layout of a random DAG (random_dag, seed 1), median of {runs}; CPU is this process's time alone")
    print(f"{'nodes':>6} {'edges':>6} {'median ms':>10} {'max ms':>8} {'CPU ms':>8} {'width':>7} {'height':>7}")
    for size in sizes:
        nodes, edges = random_dag(size, seed=1)
        timings, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            placed = layout(nodes, edges, root="n0")
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        print(
            f"{size:>6} {len(edges):>6} {statistics.median(timings) * 1000:>10.1f} {max(timings) * 1000:>8.1f} "
            f"{statistics.median(cpu) * 1000:>8.1f} {placed.width:>7.0f} {placed.height:>7.0f}",
            flush=True,
        )


def _root_with_closure(size: int):
    from django.db import transaction

    from bench.resolve import build_synthetic_registry
    from packages_app.demo import build_malloy_archive
    from packages_app.models import Package
    from packages_app.resolution import Requirement, record_dependencies, resolve
    from packages_app.services import create_version, digest_stream, store_artifact
    from registry.models import Organization, Project

    organization = Organization.objects.create(name=f"graph{size}")
    project = Project.objects.create(organization=organization, name="bench")
    synthetic = build_synthetic_registry(project=project, packages=size, versions=4, deps=3, seed=size)
    by_name = {package.name: package for package in synthetic.packages}
    requirements = [Requirement(package=by_name[n], reference=n, range=r) for n, r in synthetic.roots.items()]
    package = Package.objects.create(project=project, name="app", resource_identifier=f"graph{size}/bench/app")
    stream = io.BytesIO(build_malloy_archive("app", "1.0.0"))
    artifact = store_artifact(stream=stream, digests=digest_stream(stream), media_type="application/zip")
    with transaction.atomic():
        resolution = resolve(root_label="app@1.0.0", requirements=requirements, root_package_id=package.pk)
        root = create_version(package=package, version="1.0.0", artifact=artifact, author=None)
        record_dependencies(version=root, requirements=requirements, resolution=resolution)
    return root, len(resolution.nodes) + 1


def _measure(size: int, *, client, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    root, nodes = _root_with_closure(size)
    url = reverse("admin:packages_app_version_graph", args=[root.pk])
    timings, queries, length = [], 0, 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
        queries, length = len(captured.captured_queries), len(response.content)
    return {
        "nodes": nodes,
        "median_ms": statistics.median(timings) * 1000,
        "max_ms": max(timings) * 1000,
        "queries": queries,
        "kb": length / 1024,
    }


def main(sizes=(50, 200, 500, 1000), runs: int = 5) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        staff = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
        client = Client()
        client.force_login(staff)
        client.get("/admin/")  # templates and session warm
        print(f"database: {connection.vendor}; GET .../version/<id>/graph/, median of {runs}")
        print(f"{'nodes':>6} {'median ms':>10} {'max ms':>8} {'queries':>8} {'page KB':>8}")
        for size in sizes:
            row = _measure(size, client=client, runs=runs)
            print(
                f"{row['nodes']:>6} {row['median_ms']:>10.1f} {row['max_ms']:>8.1f} {row['queries']:>8} {row['kb']:>8.0f}",
                flush=True,
            )
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    layout_only = "--layout" in sys.argv
    sizes = tuple(int(arg) for arg in sys.argv[1:] if arg != "--layout")
    measure_layout()
    if not layout_only:
        print()
        main(sizes or (50, 200, 500, 1000))
