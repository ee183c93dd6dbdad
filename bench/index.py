"""Indexing benchmark: throughput over 200 realistic package archives, and one archive of 10,000 files.

    python bench/index.py                                   # SQLite (a throwaway test database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python bench/index.py
    python bench/index.py 50                                # fewer archives

Each realistic archive holds about 50 files: publisher.json, 10 Malloy models (a source with joins,
dimensions, measures, views, #(doc) text and a named query each), 2 notebooks, CSV and Parquet data,
dashboards, a public/ data app and a README. Versions are published first (not timed), then indexed one
after another in this one process, exactly as one worker process runs ``index_version``: claim, read the
blob back from storage, verify its sha256, inspect the archive, write the entries, mark it indexed.
The large archive is indexed twice: once timed, once under tracemalloc for its peak Python memory.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

if __name__ == "__main__":  # runnable as a script from anywhere
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

from django.db import connection
from django.test.utils import override_settings

MODEL = """\
##(doc) Model {m} of {package}
import "model_{prev}.malloy"

#(doc) Orders of region {m}: one row per order line
source: orders_{m} is duckdb.table('data/orders_{m}.csv') extend {{
  primary_key: id
  join_one: customers_{m} is duckdb.table('data/customers_{m}.csv') on customer_id = customers_{m}.id
  dimension:
    #(doc) Calendar month of the order
    order_month is created_at.month
    order_year is created_at.year
    size_band is pick 'small' when amount < 10 pick 'large' when amount > 100 else 'medium'
    label is concat('order {{', id, '}}')  -- braces inside a string
  measure:
    order_count is count()
    revenue is sum(amount)
    average_order is avg(amount)
  #(doc) Revenue by month, newest first
  view: by_month is {{ group_by: order_month; aggregate: revenue, order_count }}
  view: top_customers is {{
    group_by: customers_{m}.name
    aggregate: revenue
    limit: 10
  }}
}}

/* query: not_a_query is nothing -> nothing */
query: monthly_{m} is orders_{m} -> by_month
"""

NOTEBOOK = """>>>markdown
# Notebook {n}
Revenue overview.
>>>malloy
import "model_0.malloy"
>>>malloy
run: orders_0 -> by_month
>>>malloy
run: orders_1 -> top_customers
"""


def _zip(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def realistic_archive(package: str, rng: random.Random) -> bytes:
    files: dict[str, bytes | str] = {
        "publisher.json": json.dumps(
            {"name": package, "description": f"Sales analytics for {package}", "explores": ["model_0.malloy"]}
        ),
        "README.md": f"# {package}\n\nRealistic benchmark package.\n",
        "public/index.html": "<!doctype html><title>app</title><div id=app></div>",
        "public/app.js": "console.log('app');\n" * 50,
    }
    for m in range(10):
        files[f"models/model_{m}.malloy"] = MODEL.format(m=m, prev=(m - 1) % 10, package=package)
    for n in range(2):
        files[f"notebooks/notebook_{n}.malloynb"] = NOTEBOOK.format(n=n)
    for m in range(10):
        rows = "".join(
            f"{i},{rng.randint(1, 500)},2024-0{1 + i % 9}-1{i % 9},{rng.random() * 200:.2f}\n" for i in range(200)
        )
        files[f"data/orders_{m}.csv"] = "id,customer_id,created_at,amount\n" + rows
        files[f"data/customers_{m}.csv"] = "id,name\n" + "".join(f"{i},customer {i}\n" for i in range(100))
    for p in range(5):
        files[f"data/extract_{p}.parquet"] = rng.randbytes(4096)
    for d in range(7):
        files[f"dashboards/dashboard_{d}.malloy"] = f"source: dash_{d} is orders_0 extend {{ measure: n is count() }}\n"
    return _zip(files)


def large_archive(files: int = 10_000) -> bytes:
    """``files`` entries in all (the default entry cap, inclusive): models and small CSVs."""
    contents: dict[str, bytes | str] = {"publisher.json": json.dumps({"name": "large", "description": "Large"})}
    for i in range(files - 1):
        if i % 10 == 0:
            contents[f"models/m{i}.malloy"] = MODEL.format(m=i, prev=i, package="large")
        else:
            contents[f"data/part_{i // 1000}/f{i}.csv"] = f"id,value\n{i},{i * 2}\n"
    return _zip(contents)


def _publish(project, name: str, data: bytes):
    from packages_app.blobs import digest_stream, store_artifact
    from packages_app.models import Package
    from packages_app.publishing import create_version

    package = Package.objects.create(project=project, name=name, resource_identifier=f"bench/{name}")
    stream = io.BytesIO(data)
    artifact = store_artifact(stream=stream, digests=digest_stream(stream), media_type="application/zip")
    return create_version(package=package, version="1.0.0", artifact=artifact, author=None)


def _reset(version_id: int) -> None:
    from packages_app.models import IndexStatus, Version

    Version.objects.filter(pk=version_id).update(index_status=IndexStatus.UNKNOWN, index_started_at=None)


def main(count: int = 200) -> None:
    from packages_app.indexing import index_version
    from packages_app.models import IndexEntry
    from registry.models import Organization, Project

    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as media:
        storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media}}
        # DEBUG off, as in production: no per-query logging inside the timed loop.
        with override_settings(
            STORAGES={"default": storage, "artifacts": storage}, REGISTRY_STORAGE_LOCATIONS=["artifacts"], DEBUG=False
        ):
            organization = Organization.objects.create(name="bench")
            project = Project.objects.create(organization=organization, name="indexing")
            started = time.perf_counter()
            archives = [realistic_archive(f"pkg{i}", rng) for i in range(count)]
            versions = [_publish(project, f"pkg{i}", data) for i, data in enumerate(archives)]
            sizes = [len(data) for data in archives]
            with zipfile.ZipFile(io.BytesIO(archives[0])) as sample:
                files_each = len(sample.namelist())
            print(
                f"built and published {count} archives ({files_each} files, ~{sum(sizes) // count // 1024} KiB each) "
                f"in {time.perf_counter() - started:.1f}s on {connection.vendor}"
            )

            started = time.perf_counter()
            outcomes = [index_version(version_id=version.id) for version in versions]
            elapsed = time.perf_counter() - started
            assert outcomes == ["indexed"] * count, set(outcomes)
            entries = IndexEntry.objects.filter(version__in=versions).count()
            print(
                f"indexed {count} versions in {elapsed:.2f}s: {count / elapsed:.1f} versions/s, "
                f"{entries / elapsed:.0f} entries/s ({entries // count} entries per version), one process"
            )

            large_data = large_archive()
            large = _publish(project, "large", large_data)
            started = time.perf_counter()
            assert index_version(version_id=large.id) == "indexed"
            large_time = time.perf_counter() - started
            large_entries = IndexEntry.objects.filter(version=large).count()
            _reset(large.id)
            tracemalloc.start()
            assert index_version(version_id=large.id) == "indexed"
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"large archive: 10,000 files ({len(large_data) // 1024} KiB zipped), {large_entries} entries, "
                f"indexed in {large_time:.2f}s; peak Python memory while indexing {peak / 1024 / 1024:.1f} MiB "
                f"(tracemalloc), process max RSS {rss:.0f} MiB"
            )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        main(count)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
