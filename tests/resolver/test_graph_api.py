"""v0 endpoints and selectors over the lock: dependencies, graph, dependents (and flattened closure)."""

import pytest

from packages_app.graphs import flattened_closure, version_graph
from packages_app.models import Version
from tests.api_v0.conftest import BASE, archive_for, upload
from tests.factories import ProjectFactory, UserFactory


@pytest.fixture
def modeler(project, grant):
    person = UserFactory(username="mo", email="mo@example.com")
    grant(project, "modeler", user=person)
    return person


@pytest.fixture
def as_modeler(client_for, modeler):
    return client_for(modeler)


def publish(client, package, version, dependencies=None, *, base=BASE):
    response = upload(
        client,
        package=package,
        version=version,
        data=archive_for(version, package, dependencies=dependencies),
        base=base,
    )
    assert response.status_code == 201, response.json()
    return response


@pytest.fixture
def diamond(as_modeler):
    """ledger -> (left, right) -> core; left asks ^1.0.0, right <1.2.0."""
    for version in ["1.0.0", "1.1.0", "1.2.0"]:
        publish(as_modeler, "core", version)
    publish(as_modeler, "left", "1.0.0", {"core": "^1.0.0"})
    publish(as_modeler, "right", "1.0.0", {"core": "<1.2.0"})
    publish(as_modeler, "ledger", "1.0.0", {"left": "*", "right": "*"})
    return Version.objects.get(package__name="ledger", version="1.0.0")


def url(package, version, what):
    return f"{BASE}/packages/{package}/versions/{version}/{what}"


def test_the_graph_lists_the_locked_closure_with_every_edge(as_modeler, diamond):
    body = as_modeler.get(url("ledger", "1.0.0", "graph")).json()
    assert body["root"] == "ledger@1.0.0"
    assert {node["id"]: node["depth"] for node in body["nodes"]} == {
        "ledger@1.0.0": 0,
        "left@1.0.0": 1,
        "right@1.0.0": 1,
        "core@1.1.0": 2,
    }
    assert {(edge["from"], edge["to"], edge["range"]) for edge in body["edges"]} == {
        ("ledger@1.0.0", "left@1.0.0", "*"),
        ("ledger@1.0.0", "right@1.0.0", "*"),
        ("left@1.0.0", "core@1.1.0", "^1.0.0"),
        ("right@1.0.0", "core@1.1.0", "<1.2.0"),
    }
    assert body["depth"] == 2
    assert body["layers"] == [["ledger@1.0.0"], ["left@1.0.0", "right@1.0.0"], ["core@1.1.0"]]


def test_the_graph_reads_the_lock_even_after_newer_versions_appear(as_modeler, diamond):
    publish(as_modeler, "right", "1.1.0", {"core": "^1.0.0"})
    body = as_modeler.get(url("ledger", "1.0.0", "graph")).json()
    assert "right@1.0.0" in {node["id"] for node in body["nodes"]}


def test_dependencies_list_what_was_declared_and_what_the_lock_chose(as_modeler, diamond):
    response = as_modeler.get(url("left", "1.0.0", "dependencies"))
    assert response.status_code == 200
    assert response.json() == [
        {
            "reference": "core",
            "range": "^1.0.0",
            "organizationName": "acme",
            "projectName": "finance",
            "packageName": "core",
            "resolvedVersion": "1.2.0",
        }
    ]


def test_dependents_include_transitive_ones_marked_indirect(as_modeler, diamond):
    body = as_modeler.get(url("core", "1.1.0", "dependents")).json()
    assert {(item["packageName"], item["version"], item["direct"]) for item in body} == {
        ("ledger", "1.0.0", False),
        ("right", "1.0.0", True),
    }


def test_dependents_can_be_limited_to_direct_ones(as_modeler, diamond):
    body = as_modeler.get(url("core", "1.1.0", "dependents") + "?direct=true").json()
    assert [(item["packageName"], item["version"]) for item in body] == [("right", "1.0.0")]


def test_a_bad_direct_flag_is_a_validation_error(as_modeler, diamond):
    response = as_modeler.get(url("core", "1.1.0", "dependents") + "?direct=perhaps")
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_FAILED")


def test_package_dependents_cover_every_version_of_the_package(as_modeler, diamond):
    body = as_modeler.get(f"{BASE}/packages/core/dependents").json()
    assert {(item["packageName"], item["version"]) for item in body} == {
        ("left", "1.0.0"),
        ("right", "1.0.0"),
        ("ledger", "1.0.0"),
    }


def test_dependents_the_caller_cannot_read_are_left_out(client_for, grant, organization, as_modeler, diamond):
    secret = ProjectFactory(organization=organization, name="secret")
    insider = UserFactory(username="in")
    grant(secret, "modeler", user=insider)
    grant(organization, "member", user=insider)
    as_insider = client_for(insider)
    publish(as_insider, "hidden", "1.0.0", {"finance/core": "*"}, base="/api/v0/organizations/acme/projects/secret")
    outsider = UserFactory(username="out")
    grant(diamond.package.project, "viewer", user=outsider)
    dependents = f"{BASE}/packages/core/dependents"
    assert "hidden" not in {item["packageName"] for item in client_for(outsider).get(dependents).json()}
    assert "hidden" in {item["packageName"] for item in as_insider.get(dependents).json()}


def test_a_version_the_caller_cannot_read_is_not_found(client_for, diamond):
    response = client_for(UserFactory(username="nobody")).get(url("ledger", "1.0.0", "graph"))
    assert response.status_code == 404


@pytest.mark.parametrize("width", [1, 30])
def test_graph_and_dependents_use_a_fixed_number_of_queries(as_modeler, django_assert_max_num_queries, width):
    publish(as_modeler, "core", "1.0.0")
    for index in range(width):
        publish(as_modeler, f"mid{index}", "1.0.0", {"core": "^1.0.0"})
    publish(as_modeler, "ledger", "1.0.0", {f"mid{index}": "*" for index in range(width)})
    with django_assert_max_num_queries(8):
        assert len(as_modeler.get(url("ledger", "1.0.0", "graph")).json()["nodes"]) == width + 2
    with django_assert_max_num_queries(8):
        assert len(as_modeler.get(url("core", "1.0.0", "dependents") + "?limit=100").json()) == width + 1
    with django_assert_max_num_queries(8):
        assert len(as_modeler.get(url("ledger", "1.0.0", "dependencies") + "?limit=100").json()) == width


def test_the_flattened_closure_is_keyed_name_at_version(diamond):
    closure = flattened_closure(diamond)
    assert list(closure) == ["left@1.0.0", "right@1.0.0", "core@1.1.0"]
    assert closure["core@1.1.0"].version == "1.1.0"


def test_a_version_without_dependencies_is_a_graph_of_one(as_modeler):
    publish(as_modeler, "core", "1.0.0")
    graph = version_graph(Version.objects.get(package__name="core"))
    assert (graph["nodes"][0]["id"], graph["edges"], graph["depth"], graph["layers"]) == (
        "core@1.0.0",
        [],
        0,
        [["core@1.0.0"]],
    )
