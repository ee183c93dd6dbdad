"""components_app migrations carry existing rows: published component packages get their UUIDs."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_APP = ("components_app", "0003_projectdependency_from_registry")
AFTER_APP = ("components_app", "0004_assets_collections_package_ids")


def every_other_app_latest(executor) -> list:
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] != "components_app"]


@pytest.fixture
def executor():
    executor = MigrationExecutor(connection)
    yield executor
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the schema as every other test expects it


@pytest.mark.django_db(transaction=True)
def test_existing_component_package_versions_get_a_uuid_and_components_stay_at_the_root(executor):
    before = [*every_other_app_latest(executor), BEFORE_APP]
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    organization = old.get_model("registry", "Organization").objects.create(name="acme")
    project = old.get_model("registry", "Project").objects.create(organization=organization, name="ui")
    artifact = old.get_model("packages_app", "Artifact").objects.create(
        sha256="a" * 64, md5="b" * 32, size=1, file="sha256/aa/aa/" + "a" * 64
    )
    packages = old.get_model("packages_app", "Package").objects
    components = packages.create(project=project, name="ui", kind="components", resource_identifier="acme/ui/ui")
    models = packages.create(project=project, name="models", kind="data-model", resource_identifier="acme/ui/models")
    versions = old.get_model("packages_app", "Version").objects
    published = [
        versions.create(package=components, version=f"1.{n}.0", major=1, minor=n, patch=0, artifact=artifact)
        for n in range(3)
    ]
    versions.create(package=models, version="1.0.0", major=1, minor=0, patch=0, artifact=artifact)
    old.get_model("components_app", "Component").objects.create(project=project, name="Card", type="view")

    executor.loader.build_graph()
    after = [*every_other_app_latest(executor), AFTER_APP]
    executor.migrate(after)
    new = executor.loader.project_state(after).apps

    releases = new.get_model("components_app", "PackageRelease").objects
    assert sorted(releases.values_list("version_id", flat=True)) == sorted(v.pk for v in published)
    assert len(set(releases.values_list("id", flat=True))) == 3
    card = new.get_model("components_app", "Component").objects.get()
    assert (card.name, card.collection_id) == ("Card", None)
