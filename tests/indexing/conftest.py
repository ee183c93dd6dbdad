import json
import zipfile

import pytest

from packages_app.demo import build_malloy_archive
from tests.factories import make_version

from .builders import zip_bytes

FLIGHTS_MODEL = (__import__("pathlib").Path(__file__).parent / "models" / "flights.malloy").read_text()
NOTEBOOK = (__import__("pathlib").Path(__file__).parent / "models" / "overview.malloynb").read_text()


def rich_archive() -> bytes:
    """A package using every indexed feature: manifest, models, a notebook, data, a dashboard, an app."""
    manifest = {
        "name": "airline",
        "description": "Airline analytics",
        "explores": ["flights.malloy"],
        "queryableSources": ["flights"],
        "dependencies": {"core": "^1.0.0"},
        "extra": "kept in the version, not indexed",
    }
    return zip_bytes(
        {
            "publisher.json": json.dumps(manifest),
            "flights.malloy": FLIGHTS_MODEL,
            "notebooks/overview.malloynb": NOTEBOOK,
            "data/flights.csv": "id,origin,destination,distance\n1,SFO,JFK,2586\n",
            "data/legs.parquet": b"PAR1\x00\x00PAR1",
            "dashboards/ops.malloy": "source: ops is flights extend { measure: n is count() }\n",
            "public/index.html": "<html><body>app</body></html>",
            "README.md": "# Airline\n",
        }
    )


@pytest.fixture
def publish(package):
    """Publish a version of the test package from raw archive bytes (indexing runs in-process on commit)."""

    def build(archive: bytes | None = None, version: str = "1.0.0", target=None):
        return make_version(
            target or package,
            version,
            archive=archive if archive is not None else build_malloy_archive("ledger", version),
        )

    return build


@pytest.fixture
def zipfile_never_opened(monkeypatch):
    """Fail the test if zipfile.ZipFile opens an archive: the count must refuse it first."""

    def must_not_open(*args, **kwargs):
        raise AssertionError("zipfile.ZipFile read the central directory")

    monkeypatch.setattr(zipfile.ZipFile, "__init__", must_not_open)
