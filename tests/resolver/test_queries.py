"""Candidates are read in bulk: one query per layer of the closure whatever its width, plus one for names."""

import pytest

from packages_app.resolution import resolve


def build_layers(registry, *, width: int, depth: int, versions: int = 3):
    """``depth`` layers of ``width`` packages; every version of layer n needs all of layer n + 1."""
    for level in range(depth - 1, -1, -1):
        deps = {f"l{level + 1}p{index}": "^1.0.0" for index in range(width)} if level < depth - 1 else {}
        for index in range(width):
            for minor in range(versions):
                registry.version(f"l{level}p{index}", f"1.{minor}.0", deps)
    return registry.requirements({f"l0p{index}": "^1.0.0" for index in range(width)})


@pytest.mark.parametrize("width", [1, 40])
def test_resolution_reads_candidates_with_one_query_per_layer(registry, django_assert_num_queries, width):
    requirements = build_layers(registry, width=width, depth=4)
    with django_assert_num_queries(5):
        resolution = resolve(root_label="app@1.0.0", requirements=requirements)
    assert len(resolution.nodes) == 4 * width
    assert set(resolution.chosen.values()) == {"1.2.0"}
    assert resolution.depth == 4
    assert resolution.queries == 5  # four layers, then the names


def test_dependencies_of_versions_no_range_admits_are_not_followed(registry, django_assert_num_queries):
    registry.version("deep", "1.0.0")
    registry.version("mid", "1.0.0", {"deep": "*"})
    registry.version("core", "1.0.0")
    registry.version("core", "0.1.0", {"mid": "*"})  # outside ^1.0.0: its chain is never read
    with django_assert_num_queries(1):  # core's versions (its name came with the requirement)
        resolution = resolve(root_label="app@1.0.0", requirements=registry.requirements({"core": "^1.0.0"}))
    assert resolution.chosen == {"core": "1.0.0"}


def test_a_synthetic_200_package_closure_resolves_within_depth_plus_three_queries(
    project, django_assert_max_num_queries
):
    from bench.resolve import build_synthetic_registry
    from packages_app.resolution import Requirement

    synthetic = build_synthetic_registry(project=project, packages=200, seed=7)
    by_name = {package.name: package for package in synthetic.packages}
    requirements = [
        Requirement(package=by_name[name], reference=name, range=text) for name, text in synthetic.roots.items()
    ]
    with django_assert_max_num_queries(synthetic.layers + 3):
        resolution = resolve(root_label="app@1.0.0", requirements=requirements)
    assert len(resolution.nodes) == 200
    assert resolution.depth == synthetic.layers
    assert resolution.queries == resolution.depth + 1
