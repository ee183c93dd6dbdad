"""The v0 publish and lookups by name stay lean: a pinned query budget, and indexable name comparisons."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_v0.conftest import upload
from tests.factories import make_version

pytestmark = pytest.mark.django_db


def test_publishing_a_version_of_an_existing_package_runs_a_fixed_small_number_of_queries(
    as_modeler, package, django_assert_max_num_queries
):
    assert upload(as_modeler, version="1.0.0").status_code == 201
    # The token, the package with its project (one lookup serves the role check and the metadata checks
    # made before the file is stored) and the caller's grants (nothing is kept between requests); one
    # transaction (begin, the project's key share lock, package lock, artifact and its primary copy's
    # health, used number, version, package updated_at, commit); latestVersion for the answer.
    with django_assert_max_num_queries(13):
        response = upload(as_modeler, version="1.1.0")
    assert response.status_code == 201
    assert response.json()["latestVersion"] == "1.1.0"


def test_lookups_by_name_compare_lower_case_so_the_unique_indexes_serve_them(as_viewer, package):
    make_version(package, "1.0.0")
    with CaptureQueriesContext(connection) as queries:
        response = as_viewer.get(f"/api/v0/organizations/ACME/projects/Finance/packages/{package.name.upper()}")
    assert response.status_code == 200
    sql = "\n".join(query["sql"] for query in queries)
    assert 'LOWER("packages_app_package"."name")' in sql
    assert 'LOWER("registry_project"."name")' in sql
    assert "UPPER(" not in sql  # Django's iexact, which no index serves
