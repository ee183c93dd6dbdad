"""Publish benchmark: POST /v1/.../packages for a project of 500 components, time and SQL queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python bench/publish_components.py
    python bench/publish_components.py 500 2000     # other component counts (SQLite without DATABASE_URL)

Each size runs in a throwaway test database: a first publish of N drafts, then ``runs`` publishes where
every component was modified (the worst case: N new component versions and N snapshot rows each time).
For 500 components the first publish is compared with its target, 2 s on PostgreSQL (once a test assertion).
The request goes through the real URL, authentication, permission checks and serializers. Indexing is
enqueued after commit as in production, but not run here (it is a worker's job, timed by its own bench).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

if __name__ == "__main__":  # runnable as a script from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from components_app.models import Component, ComponentStatus

TARGET_SECONDS = {500: 2.0}  # first publish of N components, on PostgreSQL
SOURCE = "// @title Card {i}\n// @prop title: string - The title\nexport default () => view([text(title)]);\n"


def _setup(count: int):
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    from registry.models import Grant, Organization, Project, Role
    from registry.tokens import issue_token

    user = get_user_model().objects.create_user(f"bench{count}", f"bench{count}@example.com")
    organization = Organization.objects.create(name=f"bench{count}")
    project = Project.objects.create(organization=organization, name="ui")
    Grant.objects.create(project=project, user=user, role=Role.MODELER)
    Component.objects.bulk_create(
        Component(project=project, name=f"c{i:05d}", type="view", content=SOURCE.format(i=i), author=user)
        for i in range(count)
    )
    _, secret = issue_token(user=user, name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client, f"/v1/organizations/{organization.name}/projects/{project.name}/packages", project


def _publish(client, url: str, version: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(url, {"version": version, "metadata": {"description": "bench"}}, format="json")
        elapsed = time.perf_counter() - started
    assert response.status_code == 201, response.content[:500]
    return elapsed, len(queries)


def _modify_all(project) -> None:
    Component.objects.filter(project=project).update(status=ComponentStatus.MODIFIED, version=None)


def measure(count: int, runs: int = 5) -> dict:
    client, url, project = _setup(count)
    first, first_queries = _publish(client, url, "1.0.0")
    timings, counts = [], []
    for run in range(1, runs + 1):
        _modify_all(project)
        elapsed, queries = _publish(client, url, f"1.{run}.0")
        timings.append(elapsed)
        counts.append(queries)
    return {
        "first_s": first,
        "first_queries": first_queries,
        "median_s": statistics.median(timings),
        "max_s": max(timings),
        "queries": max(counts),
    }


def main(sizes=(500,), runs: int = 5) -> None:
    from django.test.utils import setup_test_environment

    setup_test_environment()
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    storage = tempfile.mkdtemp(prefix="bench-artifacts-")
    artifacts = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": storage}}
    try:
        from django.conf import settings

        with (
            override_settings(STORAGES={**settings.STORAGES, "artifacts": artifacts}),
            mock.patch("packages_app.tasks.index_version_task.delay") as enqueued,
        ):
            print(f"database: {connection.vendor} ({test_db}); {runs} publishes of all-modified components per size")
            print(f"{'components':>10} {'first s':>8} {'median s':>9} {'max s':>7} {'queries':>8}")
            for size in sizes:
                row = measure(size, runs=runs)
                print(
                    f"{size:>10} {row['first_s']:>8.3f} {row['median_s']:>9.3f} {row['max_s']:>7.3f} "
                    f"{row['queries']:>8}  (first publish: {row['first_queries']} queries)"
                )
                if size in TARGET_SECONDS:
                    target = TARGET_SECONDS[size]
                    if connection.vendor != "postgresql":
                        verdict = f"not judged on {connection.vendor}"
                    else:
                        verdict = "met" if row["first_s"] < target else "MISSED"
                    print(f"target: first publish of {size} components < {target:.0f} s on PostgreSQL: {verdict}")
            print(f"indexing enqueued {enqueued.call_count} times (once per publish)")
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)


if __name__ == "__main__":
    main(tuple(int(arg) for arg in sys.argv[1:]) or (500,))
