"""Schema moves carry every existing row across."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_MOVE = [("registry", "0003_whole_string_name_validators"), ("components_app", "0002_initial")]


@pytest.fixture
def executor():
    executor = MigrationExecutor(connection)
    yield executor
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the schema as every other test expects it


@pytest.mark.django_db(transaction=True)
def test_project_dependencies_move_to_components_app_with_their_rows(executor):
    executor.migrate(BEFORE_MOVE)
    old = executor.loader.project_state(BEFORE_MOVE).apps
    organization = old.get_model("registry", "Organization").objects.create(name="acme")
    projects = old.get_model("registry", "Project").objects
    app, ui = (
        projects.create(organization=organization, name="app"),
        projects.create(organization=organization, name="ui"),
    )
    old.get_model("registry", "ProjectDependency").objects.create(project=app, depends_on=ui, version="1.2.0")

    executor.loader.build_graph()
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(latest)
    new = executor.loader.project_state(latest).apps

    moved = new.get_model("components_app", "ProjectDependency").objects.get()
    assert (moved.project.name, moved.depends_on.name, moved.version) == ("app", "ui", "1.2.0")
    content_types = new.get_model("contenttypes", "ContentType").objects
    assert not content_types.filter(app_label="registry", model="projectdependency").exists()
