"""v0 uploads declare dependencies in publisher.json; the publish resolves them and stores the lock."""

import pytest

from packages_app.models import LockEntry, UsedVersionNumber, Version
from tests.api_v0.conftest import archive_for, upload
from tests.factories import OrganizationFactory, PackageFactory, ProjectFactory, UserFactory


@pytest.fixture
def as_modeler(client_for, project, grant):
    person = UserFactory(username="mo", email="mo@example.com")
    grant(project, "modeler", user=person)
    return client_for(person)


def publish(client, package: str, version: str, dependencies: dict | None = None):
    return upload(
        client, package=package, version=version, data=archive_for(version, package, dependencies=dependencies)
    )


def test_an_upload_records_its_dependencies_and_lock(as_modeler):
    assert publish(as_modeler, "core", "1.0.0").status_code == 201
    assert publish(as_modeler, "core", "1.1.0").status_code == 201
    assert publish(as_modeler, "mid", "1.0.0", {"core": "^1.0.0"}).status_code == 201
    response = publish(as_modeler, "ledger", "1.0.0", {"mid": "^1.0.0"})
    assert response.status_code == 201, response.json()
    ledger = Version.objects.get(package__name="ledger", version="1.0.0")
    assert list(ledger.dependencies.values_list("reference", "range")) == [("mid", "^1.0.0")]
    lock = {
        (e.resolved.label, e.parent.label if e.parent else None, e.depth) for e in LockEntry.objects.filter(root=ledger)
    }
    assert lock == {("mid@1.0.0", None, 1), ("core@1.1.0", "mid@1.0.0", 2)}


def test_an_unknown_dependency_is_refused_and_stores_nothing(as_modeler):
    response = publish(as_modeler, "ledger", "1.0.0", {"nothing": "*"})
    assert response.status_code == 400
    assert response.json()["code"] == "DEPENDENCY_NOT_FOUND"
    assert not Version.objects.exists()
    assert not UsedVersionNumber.objects.exists()


def test_a_package_in_an_organization_the_publisher_cannot_read_is_not_found(as_modeler):
    PackageFactory(project=ProjectFactory(organization=OrganizationFactory(name="other"), name="secret"), name="x")
    response = publish(as_modeler, "ledger", "1.0.0", {"other/secret/x": "*"})
    assert (response.status_code, response.json()["code"]) == (400, "DEPENDENCY_NOT_FOUND")


def test_an_invalid_range_is_a_validation_error(as_modeler):
    publish(as_modeler, "core", "1.0.0")
    response = publish(as_modeler, "ledger", "1.0.0", {"core": "newest"})
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_FAILED")


@pytest.mark.parametrize(
    ("text", "token"), [("x.1.2", "x.1.2"), (">=1.2.3 - 2", "-"), ("v>=1.2.3", "v>=1.2.3"), ("1.2.3+", "1.2.3+")]
)
def test_a_range_npm_refuses_answers_400_naming_the_reference_and_the_token(as_modeler, text, token):
    publish(as_modeler, "core", "1.0.0")
    response = publish(as_modeler, "ledger", "1.0.0", {"acme/finance/core": text})
    body = response.json()
    assert (response.status_code, body["code"]) == (400, "VALIDATION_FAILED")
    assert (body["details"]["reference"], body["details"]["range"], body["details"]["token"]) == (
        "acme/finance/core",
        text,
        token,
    )
    assert "acme/finance/core" in body["message"]
    assert body["details"]["rule"] in body["message"]
    assert not Version.objects.filter(package__name="ledger").exists()


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        ("1.0.0  -  1.2.0", "1.2.0"),
        ("v1.0.0 - v1.1.0", "1.1.0"),
        (">= 1.0.0 <1.2.0", "1.1.0"),
        ("^*", "2.0.0"),
        ("", "2.0.0"),
        ("<=1.2.0-beta", "1.1.0"),
        ("1.1.0+build", "1.1.0"),
    ],
)
def test_a_range_npm_accepts_is_resolved_with_npms_meaning(as_modeler, text, chosen):
    for version in ("1.0.0", "1.1.0", "1.2.0", "2.0.0"):
        publish(as_modeler, "core", version)
    response = publish(as_modeler, "ledger", "1.0.0", {"core": text})
    assert response.status_code == 201, response.json()
    ledger = Version.objects.get(package__name="ledger", version="1.0.0")
    [entry] = LockEntry.objects.filter(root=ledger)
    assert (entry.resolved.version, entry.range) == (chosen, text or "*")


def test_dependencies_that_are_not_an_object_are_a_validation_error(as_modeler):
    response = publish(as_modeler, "ledger", "1.0.0", ["core"])
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_FAILED")


def test_a_range_no_version_satisfies_lists_the_versions_that_exist(as_modeler):
    publish(as_modeler, "core", "1.0.0")
    publish(as_modeler, "core", "1.2.0")
    response = publish(as_modeler, "ledger", "1.0.0", {"core": "^2.0.0"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "INVALID_PACKAGE_DEPENDENCY"
    [conflict] = body["details"]["conflicts"]
    assert conflict["available"] == ["1.2.0", "1.0.0"]
    assert conflict["required"] == {"by": "ledger@1.0.0", "version": "^2.0.0"}
    assert not Version.objects.filter(package__name="ledger").exists()


def test_incompatible_requirements_are_reported_in_the_metabind_shape(as_modeler):
    publish(as_modeler, "core", "1.0.0")
    publish(as_modeler, "core", "1.2.0")
    publish(as_modeler, "a", "1.0.0", {"core": "1.0.0"})
    publish(as_modeler, "b", "1.0.0", {"core": "1.2.0"})
    response = publish(as_modeler, "ledger", "1.0.0", {"a": "1.0.0", "b": "1.0.0"})
    assert response.status_code == 409
    body = response.json()
    assert body["message"] == "Incompatible package versions"
    [conflict] = body["details"]["conflicts"]
    assert conflict["package"] == "core"
    assert {conflict["required"]["by"], conflict["provided"]["by"]} == {"a@1.0.0", "b@1.0.0"}


def test_depending_on_yourself_is_circular_even_for_a_new_package(as_modeler):
    response = publish(as_modeler, "ledger", "1.0.0", {"ledger": "*"})
    assert response.status_code == 409
    assert response.json()["code"] == "CIRCULAR_DEPENDENCY"
    assert response.json()["details"]["cycle"] == ["ledger@1.0.0", "ledger@1.0.0"]


def test_a_cycle_back_to_the_package_being_published_is_refused(as_modeler):
    publish(as_modeler, "ledger", "1.0.0")
    publish(as_modeler, "core", "1.0.0", {"ledger": "*"})
    response = publish(as_modeler, "ledger", "2.0.0", {"core": "^1.0.0"})
    assert response.status_code == 409
    assert response.json()["details"]["cycle"] == ["ledger@2.0.0", "core@1.0.0", "ledger@2.0.0"]
    assert not Version.objects.filter(package__name="ledger", version="2.0.0").exists()


def test_retrying_an_identical_upload_keeps_the_first_lock(as_modeler):
    publish(as_modeler, "core", "1.0.0")
    publish(as_modeler, "ledger", "1.0.0", {"core": "^1.0.0"})
    publish(as_modeler, "core", "1.1.0")
    assert publish(as_modeler, "ledger", "1.0.0", {"core": "^1.0.0"}).status_code == 200
    ledger = Version.objects.get(package__name="ledger")
    assert [e.resolved.version for e in LockEntry.objects.filter(root=ledger)] == ["1.0.0"]
