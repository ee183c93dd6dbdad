"""Every v0 list endpoint answers in a constant number of queries, for 1 item as for 100."""

import pytest
from django.contrib.auth.models import Group

from packages_app.models import Package, PackageGrant
from registry.models import Grant, Organization
from tests.factories import OrganizationFactory, PackageFactory, ProjectFactory, UserFactory, make_version

pytestmark = pytest.mark.django_db

ORG = "/api/v0/organizations/acme"
PROJECT = f"{ORG}/projects/finance"


def fill_organizations(n, *, staff, project, package):
    for i in range(n - 1):
        OrganizationFactory(name=f"org{i:03d}")
    return "/api/v0/organizations", Organization.objects.count()


def fill_projects(n, *, staff, project, package):
    for i in range(n - 1):
        ProjectFactory(organization=project.organization, name=f"p{i:03d}")
    return f"{ORG}/projects", n


def fill_packages(n, *, staff, project, package):
    for i in range(n - 1):
        make_version(PackageFactory(project=project, name=f"pkg{i:03d}"), "1.0.0")
    make_version(package, "1.0.0")
    return f"{PROJECT}/packages", n


def fill_versions(n, *, staff, project, package):
    for i in range(n):
        make_version(package, f"1.{i}.0")
    return f"{PROJECT}/packages/ledger/versions", n


def fill_permissions(n, *, staff, project, package):
    for i in range(n):
        person = UserFactory(username=f"u{i:03d}")
        PackageGrant.objects.create(package=package, user=person, role="viewer")
    Grant.objects.create(project=project, group=Group.objects.create(name="g"), role="viewer")
    return f"{PROJECT}/packages/ledger/permissions", n + 1


# Token (1); the parent lookups (a package with its project and organization is one); the page's COUNT
# and SELECT (a package's permissions: the grants from above, the package's own grants, then the pending
# requests an admin also sees). Measured, and the same for 1 and 100 rows.
@pytest.mark.parametrize(
    ("fill", "max_queries"),
    [(fill_organizations, 3), (fill_projects, 4), (fill_packages, 4), (fill_versions, 4), (fill_permissions, 5)],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
@pytest.mark.parametrize("size", [1, 100])
def test_list_endpoints_use_a_constant_number_of_queries(
    fill, max_queries, size, client_for, staff_user, package, django_assert_max_num_queries
):
    url, expected_total = fill(size, staff=staff_user, project=package.project, package=package)
    client = client_for(staff_user)
    client.get("/api/v0/organizations")  # the token's first use writes last_used_at: keep it out of the count
    with django_assert_max_num_queries(max_queries):
        response = client.get(url, {"limit": 100})
    assert response.status_code == 200
    assert len(response.json()) == min(expected_total, 100)


def test_the_package_list_for_a_non_staff_reader_is_constant_too(
    client_for, grant, project, django_assert_max_num_queries
):
    reader = UserFactory(username="reader")
    grant(project, "viewer", user=reader)
    for i in range(100):
        make_version(PackageFactory(project=project, name=f"pkg{i:03d}"), "1.0.0")
    client = client_for(reader)
    client.get("/api/v0/organizations")
    # Token, project, the reader's grants (one query that also judges every package), COUNT, page.
    with django_assert_max_num_queries(5):
        response = client.get(f"{PROJECT}/packages", {"limit": 100})
    assert len(response.json()) == 100 == Package.objects.count()
