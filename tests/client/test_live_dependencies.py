"""``deps``, ``deps --tree``, ``dependents`` and how resolution errors read, against a live server."""

import json

import pytest
from registry_cli.progress import human_bytes

from packages_app.models import Version
from tests.client.conftest import write_package

pytestmark = pytest.mark.django_db(transaction=True)  # the live server thread must see committed rows


@pytest.fixture
def publish(cli, tmp_path):
    """Publish package ``name`` at ``version`` to acme/finance with ``dependencies``, through the CLI."""

    def run(name: str, version: str, dependencies: dict[str, str] | None = None, *, expect_ok: bool = True):
        manifest = {"name": name, "version": version, "dependencies": dependencies or {}}
        directory = write_package(
            tmp_path / f"{name}-{version}",
            {"publisher.json": json.dumps(manifest), f"{name}.malloy": f"source: {name} is duckdb.table('t')\n"},
        )
        result = cli("publish", str(directory), "--to", "acme/finance")
        if expect_ok:
            assert result.exit_code == 0, result.stderr
        return result

    return run


@pytest.fixture
def app_graph(publish, project):
    """app@1.0.0 -> lib ^1.0.0 -> core ^1.0.0, and app -> core ~1.2.0; core 1.0.0 and 1.2.0 exist."""
    publish("core", "1.0.0")
    publish("core", "1.2.0")
    publish("lib", "1.0.0", {"core": "^1.0.0"})
    publish("app", "1.0.0", {"lib": "^1.0.0", "core": "~1.2.0"})


def test_deps_lists_what_the_version_declares_and_what_the_lock_chose(cli, app_graph):
    result = cli("deps", "acme/finance/app@1.0.0")

    assert result.exit_code == 0, result.stderr
    assert [line.split() for line in result.stdout.splitlines()] == [
        ["REFERENCE", "RANGE", "LOCKED"],
        ["core", "~1.2.0", "acme/finance/core@1.2.0"],
        ["lib", "^1.0.0", "acme/finance/lib@1.0.0"],
    ]


def test_deps_tree_draws_the_locked_graph_indented_with_each_range(cli, app_graph):
    result = cli("deps", "acme/finance/app@1.0.0", "--tree")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "app@1.0.0",
        "  core@1.2.0  (~1.2.0)",
        "  lib@1.0.0  (^1.0.0)",
        "    core@1.2.0  (^1.0.0)",
    ]


def test_deps_tree_json_is_the_graph_document(cli, app_graph):
    result = cli("deps", "acme/finance/app@1.0.0", "--tree", "--json")

    assert result.exit_code == 0, result.stderr
    graph = result.json()
    assert graph["root"] == "app@1.0.0"
    assert {(edge["from"], edge["to"]) for edge in graph["edges"]} == {
        ("app@1.0.0", "core@1.2.0"),
        ("app@1.0.0", "lib@1.0.0"),
        ("lib@1.0.0", "core@1.2.0"),
    }


def test_deps_without_a_version_uses_the_latest(cli, app_graph):
    result = cli("deps", "acme/finance/lib", "--json")

    assert result.exit_code == 0, result.stderr
    assert [(d["packageName"], d["resolvedVersion"]) for d in result.json()] == [("core", "1.2.0")]


def test_dependents_lists_direct_and_indirect_dependents(cli, app_graph):
    result = cli("dependents", "acme/finance/core@1.2.0")

    assert result.exit_code == 0, result.stderr
    assert [line.split() for line in result.stdout.splitlines()] == [
        ["DEPENDENT", "HOW", "ARCHIVE"],
        ["acme/finance/app@1.0.0", "direct", "Available"],
        ["acme/finance/lib@1.0.0", "direct", "Available"],
    ]


def test_info_of_a_version_shows_its_digest_size_and_what_its_lock_chose(cli, app_graph):
    app = Version.objects.select_related("artifact").get(package__name="app", version="1.0.0")

    result = cli("info", "acme/finance/app@1.0.0")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert f"sha256         {app.artifact.sha256}" in lines
    assert f"size           {human_bytes(app.artifact.size)}" in lines  # a small archive: B is the exact count
    assert "archiveStatus  Available" in lines
    deps = lines[lines.index("dependencies:") + 1 :]
    assert [line.split() for line in deps] == [
        ["REFERENCE", "RANGE", "LOCKED"],
        ["core", "~1.2.0", "acme/finance/core@1.2.0"],
        ["lib", "^1.0.0", "acme/finance/lib@1.0.0"],
    ]


def test_info_json_of_a_package_carries_its_latest_version_with_digest_size_and_dependencies(cli, app_graph):
    lib = Version.objects.select_related("artifact").get(package__name="lib", version="1.0.0")

    result = cli("info", "acme/finance/lib", "--json")

    assert result.exit_code == 0, result.stderr
    latest = result.json()["latest"]
    assert (latest["id"], latest["sha256"], latest["size"]) == ("1.0.0", lib.artifact.sha256, lib.artifact.size)
    assert [(d["reference"], d["range"], d["resolvedVersion"]) for d in latest["dependencies"]] == [
        ("core", "^1.0.0", "1.2.0")
    ]


def test_dependents_of_a_package_covers_all_its_versions(cli, app_graph):
    result = cli("dependents", "acme/finance/lib", "--json")

    assert result.exit_code == 0, result.stderr
    assert [(d["packageName"], d["version"], d["direct"]) for d in result.json()] == [("app", "1.0.0", True)]


def test_nothing_depending_on_a_version_is_said_plainly(cli, app_graph):
    result = cli("dependents", "acme/finance/app@1.0.0")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "Nothing depends on acme/finance/app@1.0.0"


def test_an_unsatisfiable_range_is_refused_with_the_conflict_laid_out(publish, app_graph):
    result = publish("broken", "1.0.0", {"core": "^2.0.0"}, expect_ok=False)

    assert result.exit_code == 5
    assert result.error == [
        "INVALID_PACKAGE_DEPENDENCY: No available version of core satisfies ^2.0.0",
        "  conflict on core:",
        "    required ^2.0.0 by broken@1.0.0",
        "    available: 1.2.0, 1.0.0",
    ]


def test_a_dependency_cycle_is_refused_and_shown_as_a_closed_path(publish, app_graph):
    result = publish("core", "1.2.1", {"app": "^1.0.0"}, expect_ok=False)  # app wants core ~1.2.0: a loop

    assert result.exit_code == 5
    assert result.error[0].startswith("CIRCULAR_DEPENDENCY: ")
    cycle_line = next(line for line in result.error if line.startswith("  cycle: "))
    steps = cycle_line.removeprefix("  cycle: ").split(" -> ")
    assert steps[0] == steps[-1]
    assert set(steps) == {"core@1.2.1", "app@1.0.0"}


def test_an_unknown_dependency_is_refused_with_exit_6(publish, project):
    result = publish("lonely", "1.0.0", {"nowhere": "^1.0.0"}, expect_ok=False)

    assert result.exit_code == 6
    assert result.error[0].startswith("DEPENDENCY_NOT_FOUND: ")
