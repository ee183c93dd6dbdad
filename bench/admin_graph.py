"""Staff console benchmark: the dependency-graph admin page for locked closures of 50 to 1,000 versions.

    python bench/admin_graph.py                  # SQLite (a throwaway test database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python bench/admin_graph.py

Builds each closure with the resolver's synthetic registry generator, resolves and locks a root version,
then times GET /admin/packages_app/version/<id>/graph/ (the whole request: queries, networkx layering,
SVG and template) and counts its queries.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

if __name__ == "__main__":  # runnable as a script from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


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
    sizes = tuple(int(arg) for arg in sys.argv[1:]) or (50, 200, 500, 1000)
    main(sizes)
