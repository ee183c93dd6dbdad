"""The resolver: highest satisfying versions, backtracking, archived versions, conflicts, cycles."""

import pytest

from packages_app.models import Version
from packages_app.resolution import Requirement, resolve
from registry.errors import RegistryError
from tests.factories import PackageFactory, ProjectFactory


def resolved(registry, deps, *, root="app@1.0.0", root_package=None):
    resolution = resolve(
        root_label=root,
        requirements=registry.requirements(deps),
        root_package_id=registry.package(root_package).pk if root_package else None,
    )
    return resolution.chosen


def refused(registry, deps, *, root="app@1.0.0", root_package=None) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        resolved(registry, deps, root=root, root_package=root_package)
    return caught.value


def test_the_highest_version_satisfying_the_range_is_chosen(registry):
    for version in ["1.0.0", "1.2.0", "1.10.0", "2.0.0"]:
        registry.version("core", version)
    assert resolved(registry, {"core": "^1.0.0"}) == {"core": "1.10.0"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.2.0", "1.2.0"), ("~1.2.0", "1.2.9"), ("^1.2.0", "1.3.0"), (">=1.0.0 <2.0.0", "1.3.0"), ("*", "2.0.0")],
)
def test_npm_range_forms_choose_what_npm_would(registry, text, expected):
    for version in ["1.0.0", "1.2.0", "1.2.9", "1.3.0", "2.0.0"]:
        registry.version("core", version)
    assert resolved(registry, {"core": text}) == {"core": expected}


def test_transitive_dependencies_are_in_the_closure(registry):
    registry.version("c", "1.0.0")
    registry.version("b", "1.0.0", {"c": "^1.0.0"})
    registry.version("a", "1.0.0", {"b": "^1.0.0"})
    assert resolved(registry, {"a": "*"}) == {"a": "1.0.0", "b": "1.0.0", "c": "1.0.0"}


def test_a_diamond_chooses_one_version_that_satisfies_both_sides(registry):
    for version in ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]:
        registry.version("d", version)
    registry.version("b", "1.0.0", {"d": "^1.0.0"})
    registry.version("c", "1.0.0", {"d": "<1.2.0"})
    registry.version("a", "1.0.0", {"b": "1.0.0", "c": "1.0.0"})
    assert resolved(registry, {"a": "1.0.0"}) == {"a": "1.0.0", "b": "1.0.0", "c": "1.0.0", "d": "1.1.0"}


def test_backtracking_picks_an_older_version_when_the_newest_needs_what_another_forbids(registry):
    registry.version("c", "1.0.0")
    registry.version("c", "2.0.0")
    registry.version("a", "1.0.0", {"c": "^1.0.0"})
    registry.version("a", "2.0.0", {"c": "^2.0.0"})
    registry.version("b", "1.0.0", {"c": "^1.0.0"})
    assert resolved(registry, {"a": "*", "b": "*"}) == {"a": "1.0.0", "b": "1.0.0", "c": "1.0.0"}


def test_archived_versions_are_not_chosen(registry):
    registry.version("core", "1.0.0")
    registry.version("core", "1.1.0", archived=True)
    assert resolved(registry, {"core": "^1.0.0"}) == {"core": "1.0.0"}


def test_a_range_only_archived_versions_satisfy_is_a_conflict_listing_what_is_available(registry):
    registry.version("core", "1.0.0")
    registry.version("core", "2.0.0", archived=True)
    error = refused(registry, {"core": "^2.0.0"})
    assert (error.code, error.status) == ("INVALID_PACKAGE_DEPENDENCY", 409)
    [conflict] = error.details["conflicts"]
    assert conflict["package"] == "core"
    assert conflict["required"] == {"by": "app@1.0.0", "version": "^2.0.0"}
    assert conflict["provided"] is None
    assert conflict["available"] == ["1.0.0"]


def test_a_deep_chain_resolves_to_the_end(registry):
    registry.version("p30", "1.0.0")
    for index in range(29, -1, -1):
        registry.version(f"p{index}", "1.0.0", {f"p{index + 1}": "^1.0.0"})
    resolution = resolve(root_label="app@1.0.0", requirements=registry.requirements({"p0": "*"}))
    assert len(resolution.nodes) == 31
    assert resolution.depth == 31


def test_two_requirements_that_cannot_both_hold_are_reported_with_who_asked(registry):
    registry.version("core", "1.0.0")
    registry.version("core", "1.2.0")
    registry.version("a", "1.0.0", {"core": "1.0.0"})
    registry.version("b", "1.0.0", {"core": "1.2.0"})
    error = refused(registry, {"a": "1.0.0", "b": "1.0.0"})
    assert error.code == "INVALID_PACKAGE_DEPENDENCY"
    assert error.message == "Incompatible package versions"
    [conflict] = error.details["conflicts"]
    pair = {
        conflict["required"]["by"]: conflict["required"]["version"],
        conflict["provided"]["by"]: conflict["provided"]["version"],
    }
    assert conflict["package"] == "core"
    assert pair == {"a@1.0.0": "1.0.0", "b@1.0.0": "1.2.0"}


def test_a_conflict_between_the_root_and_a_dependency_names_the_root(registry):
    registry.version("core", "1.0.0")
    registry.version("core", "2.0.0")
    registry.version("a", "1.0.0", {"core": "^1.0.0"})
    error = refused(registry, {"a": "*", "core": "^2.0.0"})
    [conflict] = error.details["conflicts"]
    assert {conflict["required"]["by"], conflict["provided"]["by"]} == {"app@1.0.0", "a@1.0.0"}


def test_depending_on_yourself_is_a_cycle(registry):
    registry.version("app", "0.9.0")
    error = refused(registry, {"app": "*"}, root="app@1.0.0", root_package="app")
    assert (error.code, error.status) == ("CIRCULAR_DEPENDENCY", 409)
    assert error.details["cycle"] == ["app@1.0.0", "app@1.0.0"]


def test_a_cycle_through_three_packages_is_reported_as_a_closed_path(registry):
    registry.version("c", "1.0.0", {"a": "^2.0.0"})
    registry.version("b", "1.0.0", {"c": "^1.0.0"})
    error = refused(registry, {"b": "^1.0.0"}, root="a@2.0.0", root_package="a")
    assert error.code == "CIRCULAR_DEPENDENCY"
    assert error.details["cycle"] == ["a@2.0.0", "b@1.0.0", "c@1.0.0", "a@2.0.0"]


def test_a_cycle_among_existing_versions_is_reported(registry):
    b = registry.version("b", "1.0.0")
    registry.version("c", "1.0.0", {"b": "^1.0.0"})
    b.dependencies.create(package=registry.package("c"), reference="c", range="^1.0.0")
    error = refused(registry, {"b": "*"})
    assert error.details["cycle"] == ["b@1.0.0", "c@1.0.0", "b@1.0.0"]


def test_a_dependency_that_needs_an_older_version_of_the_root_package_is_a_conflict(registry):
    registry.version("app", "1.0.0")
    registry.version("core", "1.0.0", {"app": "^1.0.0"})
    error = refused(registry, {"core": "*"}, root="app@2.0.0", root_package="app")
    assert error.code == "INVALID_PACKAGE_DEPENDENCY"
    [conflict] = error.details["conflicts"]
    assert conflict["required"] == {"by": "core@1.0.0", "version": "^1.0.0"}
    assert conflict["provided"] == {"by": "app@2.0.0", "version": "2.0.0"}


def test_an_invalid_range_is_a_validation_error(registry):
    registry.version("core", "1.0.0")
    error = refused(registry, {"core": "latest"})
    assert (error.code, error.status) == ("VALIDATION_FAILED", 400)


def test_no_requirements_resolve_to_an_empty_closure(registry):
    assert resolved(registry, {}) == {}


def test_the_lock_records_the_breadth_first_edge_and_depth(registry):
    registry.version("c", "1.0.0")
    b = registry.version("b", "1.0.0", {"c": "^1.0.0"})
    resolution = resolve(root_label="app@1.0.0", requirements=registry.requirements({"b": "*", "c": "1.0.0"}))
    nodes = {node.package_name: node for node in resolution.nodes}
    assert (nodes["b"].parent_id, nodes["b"].depth) == (None, 1)
    assert (nodes["c"].parent_id, nodes["c"].depth, nodes["c"].range) == (None, 1, "1.0.0")
    assert (b.pk, nodes["c"].version_id, "^1.0.0") in resolution.edges


def test_a_search_that_circles_on_a_loop_of_versions_says_it_gave_up(registry):
    # Found by hypothesis: resolvelib re-pins a, b and c in a loop and never settles (no solution exists).
    cases = {
        "a": {"1.1.0": {"c": "*", "b": "^2.0.0"}, "1.0.0": {"b": ">=1.1.0 <2.0.0"}},
        "b": {
            "1.0.0": {"c": "<=1.1.0"},
            "1.1.0": {"a": "2.0.0", "c": ">1.0.0"},
            "1.2.0": {"a": ">1.0.0"},
            "2.0.0": {"a": "1.0.0", "c": "~1.1.0"},
        },
        "c": {"2.0.0": {}, "1.1.0": {"a": "*", "b": "1.0.0"}, "1.0.0": {}},
    }
    for name in cases:
        registry.package(name)
    for name, versions in cases.items():
        for version, deps in versions.items():
            registry.version(name, version, deps)
    error = refused(registry, {"b": "*", "a": "<=1.1.0", "c": ">=1.1.0 <2.0.0"})
    assert error.code == "INVALID_PACKAGE_DEPENDENCY"
    assert error.details == {"conflicts": [], "gaveUp": True}


def test_packages_of_the_same_name_in_two_projects_are_named_by_reference_in_a_conflict(registry, project):
    registry.version("core", "1.0.0")
    elsewhere = PackageFactory(project=ProjectFactory(organization=project.organization, name="other"), name="core")
    for number in ("1.0.0", "2.0.0"):
        major, minor, patch = map(int, number.split("."))
        Version.objects.create(
            package=elsewhere, version=number, major=major, minor=minor, patch=patch, artifact=registry.artifact
        )
    a = registry.version("a", "1.0.0")
    a.dependencies.create(package=elsewhere, reference="acme/other/core", range="2.0.0")
    requirements = [
        *registry.requirements({"core": "*", "a": "1.0.0"}),
        Requirement(package=elsewhere, reference="acme/other/core", range="^1.0.0"),
    ]
    with pytest.raises(RegistryError) as refusal:
        resolve(root_label="app@1.0.0", requirements=requirements)
    [conflict] = refusal.value.details["conflicts"]
    assert conflict["package"] == f"{project.organization.name}/other/core"


def test_a_dependency_deleted_since_its_reference_was_read_is_not_found_rather_than_a_conflict(registry):
    registry.version("core", "1.0.0")
    requirements = registry.requirements({"core": "^1.0.0"})
    registry.package("core").delete()  # by a concurrent request, between the lookup and the resolution
    with pytest.raises(RegistryError) as caught:
        resolve(root_label="app@1.0.0", requirements=requirements)
    assert (caught.value.status, caught.value.code, caught.value.details["missing"]) == (
        400,
        "DEPENDENCY_NOT_FOUND",
        ["core"],
    )
