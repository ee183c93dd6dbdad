"""Lists without ?page/?limit are whole: every item the caller may read, streamed as one JSON array in a
number of queries that does not grow with the list. With them, pages as before."""

import pytest

from packages_app.models import Package
from registry.api.v0.streaming import CHUNK_SIZE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PACKAGES = "/api/v0/organizations/acme/projects/finance/packages"


@pytest.fixture
def many_packages(project):
    """5,000 packages in acme/finance, written in bulk (the list, not publishing, is under test)."""
    Package.objects.bulk_create(
        Package(project=project, name=f"pkg{i:05d}", resource_identifier=f"acme/finance/pkg{i:05d}")
        for i in range(5000)
    )
    return 5000


def test_five_thousand_packages_without_paging_parameters_come_whole_within_the_pinned_query_count(
    client_for, staff_user, many_packages, django_assert_max_num_queries
):
    client = client_for(staff_user)
    client.get("/api/v0/organizations")  # the token's first use writes last_used_at: keep it out of the count
    # Token, project, the one SELECT of every package (a cursor read in chunks): the same as for one package.
    with django_assert_max_num_queries(3):
        response = client.get(PACKAGES)
    assert response.status_code == 200
    assert response.streaming
    names = [package["name"] for package in response.json()]
    assert len(names) == many_packages > CHUNK_SIZE
    assert names == sorted(names)
    assert len(set(names)) == many_packages
    assert "X-Total-Count" not in response.headers


def test_a_reader_of_some_packages_gets_exactly_those_whole(client_for, grant, project, many_packages):
    reader = UserFactory(username="reader")
    for package in Package.objects.order_by("name")[:3]:
        grant(package, "viewer", user=reader)
    response = client_for(reader).get(PACKAGES)
    assert [p["name"] for p in response.json()] == ["pkg00000", "pkg00001", "pkg00002"]


def test_with_page_or_limit_the_list_is_paged_with_its_total_and_links(client_for, staff_user, many_packages):
    client = client_for(staff_user)
    response = client.get(PACKAGES, {"limit": 100, "page": 2})
    assert not response.streaming
    assert [p["name"] for p in response.json()][:1] == ["pkg00100"]
    assert response.headers["X-Total-Count"] == "5000"
    assert 'rel="next"' in response.headers["Link"]
    assert 'rel="prev"' in response.headers["Link"]
    assert len(client.get(PACKAGES, {"page": 1}).json()) == 20


def test_a_streamed_item_is_exactly_what_the_paged_list_shows(client_for, staff_user, package):
    client = client_for(staff_user)
    assert client.get(PACKAGES).json() == client.get(PACKAGES, {"page": 1}).json()


def test_an_empty_list_is_an_empty_array(client_for, staff_user, project):
    response = client_for(staff_user).get(PACKAGES)
    assert b"".join(response.streaming_content) == b"[]"
