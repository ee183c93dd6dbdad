"""Declared dependencies: references, ranges and who may depend on what."""

import pytest

from packages_app.resolution import MAX_RANGE_LENGTH, parse_requirements
from registry.errors import RegistryError
from tests.factories import OrganizationFactory, PackageFactory, ProjectFactory


@pytest.fixture
def reader(user, grant, organization):
    grant(organization, "member", user=user)
    return user


def test_a_bare_name_refers_to_a_package_in_the_same_project(project, package, reader):
    [requirement] = parse_requirements(project=project, declared={"ledger": "^1.0.0"}, user=reader)
    assert (requirement.package, requirement.reference, requirement.range) == (package, "ledger", "^1.0.0")


def test_project_and_package_refers_within_the_organization(project, organization, reader):
    other = PackageFactory(project=ProjectFactory(organization=organization, name="shared"), name="core")
    [requirement] = parse_requirements(project=project, declared={"shared/core": "*"}, user=reader)
    assert requirement.package == other


def test_full_references_are_case_insensitive(project, package, reader):
    [requirement] = parse_requirements(project=project, declared={"ACME/Finance/LEDGER": "*"}, user=reader)
    assert requirement.package == package


def test_an_unknown_package_is_dependency_not_found(project, reader):
    with pytest.raises(RegistryError) as caught:
        parse_requirements(project=project, declared={"nothing": "*"}, user=reader)
    assert (caught.value.code, caught.value.status) == ("DEPENDENCY_NOT_FOUND", 400)
    assert caught.value.details["missing"] == ["nothing"]


def test_a_package_the_publisher_cannot_read_is_dependency_not_found(project, reader):
    hidden = PackageFactory(project=ProjectFactory(organization=OrganizationFactory(name="other"), name="p"), name="x")
    with pytest.raises(RegistryError) as caught:
        parse_requirements(project=project, declared={"other/p/x": "*"}, user=reader)
    assert caught.value.code == "DEPENDENCY_NOT_FOUND"
    assert hidden.pk  # it exists; the caller just cannot see it


@pytest.mark.parametrize("text", ["latest", "1.2.3.4", ">=banana", "x.1.2", "1.2.3-", "v>=1.2.3", 5, None])
def test_an_invalid_range_is_validation_failed(project, package, reader, text):
    with pytest.raises(RegistryError) as caught:
        parse_requirements(project=project, declared={"ledger": text}, user=reader)
    assert (caught.value.code, caught.value.status) == ("VALIDATION_FAILED", 400)


@pytest.mark.parametrize(
    ("text", "token", "rule"),
    [
        (">=1.0.0 x.1.2", "x.1.2", "wildcard"),
        ("v>=1.2.3", "v>=1.2.3", "operator comes first"),
        ("1.2.3+", "1.2.3+", "build"),
        (">=1.2.3 - 2", "-", "hyphen range"),
        ("^1.2.3 ||  >=", ">=", "needs a version"),
    ],
)
def test_a_refused_range_names_the_reference_the_token_and_the_rule(project, package, reader, text, token, rule):
    with pytest.raises(RegistryError) as caught:
        parse_requirements(project=project, declared={"ledger": text}, user=reader)
    details = caught.value.details
    assert (details["reference"], details["range"], details["token"]) == ("ledger", text, token)
    assert rule in details["rule"]
    assert "'ledger'" in caught.value.message
    assert f"'{token}'" in caught.value.message
    assert details["fields"] == {"dependencies": [caught.value.message.removeprefix("dependencies: ")]}


def test_a_range_longer_than_the_limit_is_refused_with_the_limit(project, package, reader):
    with pytest.raises(RegistryError) as caught:
        parse_requirements(project=project, declared={"ledger": "^1.0.0 " * 40}, user=reader)
    assert caught.value.code == "VALIDATION_FAILED"
    assert caught.value.details["reference"] == "ledger"
    assert f"at most {MAX_RANGE_LENGTH} characters" in caught.value.details["rule"]


@pytest.mark.parametrize("text", [">= 1.2.3", "^ 1.2.3", "1.2.3  -  2.3.4", "v1.2.3 - v2.3.4", ">=1.0.0\t<2.0.0", "^*"])
def test_ranges_npm_accepts_are_kept_as_written(project, package, reader, text):
    [requirement] = parse_requirements(project=project, declared={"ledger": text}, user=reader)
    assert requirement.range == text


def test_an_empty_range_means_any_version_and_is_recorded_as_a_star(project, package, reader):
    [requirement] = parse_requirements(project=project, declared={"ledger": ""}, user=reader)
    assert requirement.range == "*"


@pytest.mark.parametrize("reference", ["a/b/c/d", "bad name", "../x", "", "a//b"])
def test_a_malformed_reference_is_validation_failed(project, reader, reference):
    with pytest.raises(RegistryError) as caught:
        parse_requirements(project=project, declared={reference: "*"}, user=reader)
    assert caught.value.code == "VALIDATION_FAILED"


def test_dependencies_must_be_an_object(project, reader):
    with pytest.raises(RegistryError) as caught:
        parse_requirements(project=project, declared=["ledger"], user=reader)
    assert caught.value.code == "VALIDATION_FAILED"


def test_two_references_to_one_package_are_refused(project, package, reader):
    with pytest.raises(RegistryError) as caught:
        parse_requirements(project=project, declared={"ledger": "*", "acme/finance/ledger": "^1.0.0"}, user=reader)
    assert caught.value.code == "VALIDATION_FAILED"


def test_all_references_are_looked_up_in_one_query(project, organization, reader, django_assert_num_queries):
    for index in range(20):
        PackageFactory(project=project, name=f"p{index}")
    declared = {f"p{index}": "*" for index in range(20)}
    with django_assert_num_queries(1):
        assert len(parse_requirements(project=project, declared=declared, user=reader)) == 20
