"""Hot reads come from the shared cache, with ETags, and every write makes them fresh at once."""

import pytest
from rest_framework.test import APIClient

from registry.models import Grant
from tests.api_v0.conftest import BASE, upload
from tests.factories import UserFactory, make_token, make_version

pytestmark = pytest.mark.django_db

PACKAGE = f"{BASE}/packages/ledger"


def test_a_repeated_package_read_costs_only_the_token_lookup(as_viewer, package, django_assert_max_num_queries):
    make_version(package, "1.0.0")
    first = as_viewer.get(PACKAGE)
    with django_assert_max_num_queries(1):
        again = as_viewer.get(PACKAGE)
    assert again.status_code == 200
    assert again.json() == first.json()


def test_a_publish_through_the_api_is_visible_to_the_next_read(as_modeler, as_viewer, package):
    make_version(package, "1.0.0")
    assert as_viewer.get(PACKAGE).json()["latestVersion"] == "1.0.0"
    assert upload(as_modeler, version="1.1.0").status_code == 201
    assert as_viewer.get(PACKAGE).json()["latestVersion"] == "1.1.0"
    assert [v["id"] for v in as_viewer.get(f"{PACKAGE}/versions").json()] == ["1.1.0", "1.0.0"]


def test_a_cached_read_answers_if_none_match_with_304(as_viewer, package):
    etag = as_viewer.get(PACKAGE)["ETag"]
    response = as_viewer.get(PACKAGE, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_the_etag_changes_when_the_package_does(as_modeler, as_viewer, package):
    etag = as_viewer.get(PACKAGE)["ETag"]
    as_modeler.patch(PACKAGE, {"description": "changed"}, format="json")
    response = as_viewer.get(PACKAGE, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["description"] == "changed"


def test_one_callers_cached_read_is_never_served_to_another(as_viewer, package):
    assert as_viewer.get(PACKAGE).status_code == 200
    assert as_viewer.get(PACKAGE).status_code == 200  # now answered from the cache
    stranger = UserFactory(username="outsider")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(stranger)}")
    assert client.get(PACKAGE).status_code == 404


def test_a_revoked_grant_takes_effect_on_the_next_read(
    client_for, project, grant, package, django_capture_on_commit_callbacks
):
    admin = UserFactory(username="boss", email="boss@example.com")
    grant(project, "admin", user=admin)
    reader = UserFactory(username="reader", email="reader@example.com")
    grant(project, "viewer", user=reader)
    as_reader = client_for(reader)
    assert as_reader.get(PACKAGE).status_code == 200
    assert as_reader.get(PACKAGE).status_code == 200  # the grants now come from this process's memo
    with django_capture_on_commit_callbacks(execute=True):  # the revocation commits
        revoked = client_for(admin).delete(f"{BASE}/permissions/user:reader@example.com")
    assert revoked.status_code == 204
    assert not Grant.objects.filter(user=reader).exists()
    assert as_reader.get(PACKAGE).status_code == 404


def test_the_cache_is_off_without_a_lifetime(settings, as_viewer, package):
    settings.REGISTRY_READ_CACHE_SECONDS = 0
    as_viewer.get(PACKAGE)
    response = as_viewer.get(PACKAGE)
    assert "ETag" not in response


def test_a_conditional_download_is_answered_304_from_the_cache(as_viewer, package, django_assert_max_num_queries):
    make_version(package, "1.0.0")
    download = f"{PACKAGE}/versions/1.0.0/download"
    etag = as_viewer.get(download)["ETag"]
    with django_assert_max_num_queries(1):
        response = as_viewer.get(download, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_a_deleted_version_is_not_answered_304_from_the_cache(client_for, project, grant, package):
    admin = UserFactory(username="boss", email="boss@example.com")
    grant(project, "admin", user=admin)
    as_admin = client_for(admin)
    make_version(package, "1.0.0")
    download = f"{PACKAGE}/versions/1.0.0/download"
    etag = as_admin.get(download)["ETag"]
    assert as_admin.delete(PACKAGE).status_code == 204
    assert as_admin.get(download, HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_a_cached_version_list_keeps_its_paging_headers_and_body(as_viewer, package):
    for number in ("1.0.0", "1.1.0", "1.2.0"):
        make_version(package, number)
    first = as_viewer.get(f"{PACKAGE}/versions?limit=2")
    again = as_viewer.get(f"{PACKAGE}/versions?limit=2")
    assert again.content == first.content
    assert again["X-Total-Count"] == first["X-Total-Count"] == "3"
    assert again["Link"] == first["Link"]
    assert again["Content-Type"] == "application/json"


def test_with_the_read_cache_off_a_write_bumps_no_generation(settings, as_modeler, package):
    from django.core.cache import cache

    settings.REGISTRY_READ_CACHE_SECONDS = 0
    assert as_modeler.patch(PACKAGE, {"description": "changed"}, format="json").status_code == 200
    assert cache.get("read-cache:generation:acme") is None
