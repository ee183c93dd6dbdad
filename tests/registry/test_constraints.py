"""Every invariant the design promises holds in the database, even when validation is bypassed."""

import pytest
from django.db import IntegrityError, transaction

from packages_app.models import Package, Version
from registry.models import Grant, Organization, Project, Role
from tests.factories import OrganizationFactory, PackageFactory, ProjectFactory, make_version

pytestmark = pytest.mark.django_db


def test_package_names_are_unique_case_insensitively_in_the_database(project):
    PackageFactory(project=project, name="core")
    with pytest.raises(IntegrityError), transaction.atomic():
        Package.objects.create(project=project, name="Core", resource_identifier="acme/finance/Core-2")


def test_the_same_package_name_may_exist_in_two_projects(organization):
    first, second = ProjectFactory(organization=organization), ProjectFactory(organization=organization)
    PackageFactory(project=first, name="core")
    PackageFactory(project=second, name="core")
    assert Package.objects.filter(name="core").count() == 2


def test_organization_names_are_unique_case_insensitively():
    Organization.objects.create(name="acme")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name="ACME")


def test_project_names_are_unique_case_insensitively_within_their_organization(organization):
    Project.objects.create(organization=organization, name="finance")
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(organization=organization, name="Finance")


@pytest.mark.parametrize("bad_name", ["has space", "slash/name", "dot.name", ""])
def test_names_outside_the_pattern_are_refused_by_the_database(bad_name):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.create(name=bad_name)


@pytest.mark.parametrize("count", [0, 11])
def test_replication_count_outside_1_to_10_is_refused_by_the_database(project, count):
    with pytest.raises(IntegrityError), transaction.atomic():
        Package.objects.create(project=project, name="p", resource_identifier="x", replication_count=count)


def test_resource_identifiers_are_unique(project):
    PackageFactory(project=project, name="a", resource_identifier="shared/id")
    with pytest.raises(IntegrityError), transaction.atomic():
        PackageFactory(project=project, name="b", resource_identifier="shared/id")


def test_a_version_number_is_unique_within_its_package(package):
    version = make_version(package, "1.0.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        Version.objects.create(package=package, version="1.0.0", major=1, minor=0, patch=0, artifact=version.artifact)


@pytest.mark.parametrize("bad_version", ["1.0", "01.0.0", "1.0.0-beta", "v1.0.0", "1.0.0.0"])
def test_versions_that_are_not_strict_semver_are_refused_by_the_database(package, bad_version):
    artifact = make_version(package, "1.0.0").artifact
    with pytest.raises(IntegrityError), transaction.atomic():
        Version.objects.create(package=package, version=bad_version, major=9, minor=9, patch=9, artifact=artifact)


def test_enum_columns_are_checked_by_the_database(package):
    version = make_version(package, "1.0.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        Version.objects.filter(pk=version.pk).update(index_status="exploded")


def test_a_grant_has_exactly_one_scope(organization, project, user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.create(organization=organization, project=project, user=user, role=Role.ADMIN)


def test_viewer_is_not_an_organization_role(organization, user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.create(organization=organization, user=user, role=Role.VIEWER)


def test_member_is_not_a_project_role(project, user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.create(project=project, user=user, role=Role.MEMBER)


def test_versions_order_by_semver_in_sql(package):
    for number in ["9.0.0", "10.0.0", "1.2.0", "1.10.0", "1.9.3"]:
        make_version(package, number)
    ordered = list(Version.objects.filter(package=package).semver_order().values_list("version", flat=True))
    assert ordered == ["1.2.0", "1.9.3", "1.10.0", "9.0.0", "10.0.0"]


def test_latest_version_is_the_highest_unarchived_one(package):
    for number in ["1.0.0", "2.0.0", "1.5.0"]:
        make_version(package, number)
    Version.objects.filter(package=package, version="2.0.0").update(archive_status="archive")
    annotated = Package.objects.with_latest().get(pk=package.pk)
    assert annotated.latest_version_string == "1.5.0"


def test_same_name_in_other_organization_is_allowed():
    OrganizationFactory(name="one")
    OrganizationFactory(name="two")
    assert Organization.objects.count() == 2


@pytest.mark.parametrize("text", ["1.0.0\n", " 1.0.0", "1.0.0 ", "01.0.0"])
def test_parse_version_refuses_text_around_or_inside_the_numbers(text):
    from registry.naming import parse_version

    assert parse_version(text) is None
