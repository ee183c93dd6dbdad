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


BEFORE_PACKAGE_GRANTS_MOVE = [
    ("registry", "0006_group_membership_rows"),
    ("packages_app", "0006_version_index_claim_identity"),
]


@pytest.fixture
def old_package_grants(executor):
    """In the schema before the move: a package with a user's and a group's grant on it, a project grant
    beside them, and a pending and a refused request for the package; the old apps, and the rows."""
    executor.migrate(BEFORE_PACKAGE_GRANTS_MOVE)
    old = executor.loader.project_state(BEFORE_PACKAGE_GRANTS_MOVE).apps
    organization = old.get_model("registry", "Organization").objects.create(name="acme")
    project = old.get_model("registry", "Project").objects.create(organization=organization, name="finance")
    package = old.get_model("packages_app", "Package").objects.create(
        project=project, name="ledger", resource_identifier="acme/finance/ledger"
    )
    ada = old.get_model("auth", "User").objects.create(username="ada", email="ada@example.com")
    analysts = old.get_model("auth", "Group").objects.create(name="analysts")
    grants = old.get_model("registry", "Grant").objects
    grants.create(package=package, user=ada, role="modeler", message="owns the ledger")
    grants.create(package=package, group=analysts, role="viewer")
    grants.create(project=project, user=ada, role="viewer")
    requests = old.get_model("registry", "PermissionRequest").objects
    requests.create(package=package, user=ada, role="admin", message="please")
    requests.create(package=package, user=ada, role="viewer", status="refused")
    return {"package": package, "dated": grants.get(package=package, user=ada).updated_at}


def migrate_to_latest(executor):
    executor.loader.build_graph()
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(latest)
    return executor.loader.project_state(latest).apps


@pytest.mark.django_db(transaction=True)
def test_package_grants_move_to_packages_app_with_their_rows(executor, old_package_grants):
    new = migrate_to_latest(executor)

    moved = new.get_model("packages_app", "PackageGrant").objects.order_by("role")
    assert [(g.package.name, g.user_id and g.user.username, g.group_id and g.group.name, g.role) for g in moved] == [
        ("ledger", "ada", None, "modeler"),
        ("ledger", None, "analysts", "viewer"),
    ]
    assert moved.get(role="modeler").message == "owns the ledger"


@pytest.mark.django_db(transaction=True)
def test_moved_package_grants_keep_their_dates(executor, old_package_grants):
    new = migrate_to_latest(executor)

    assert (
        new.get_model("packages_app", "PackageGrant").objects.get(role="modeler").updated_at
        == (old_package_grants["dated"])
    )


@pytest.mark.django_db(transaction=True)
def test_registry_keeps_only_organization_and_project_grants_after_the_move(executor, old_package_grants):
    new = migrate_to_latest(executor)

    left = new.get_model("registry", "Grant").objects.all()
    assert [(grant.project.name, grant.role) for grant in left] == [("finance", "viewer")]


@pytest.mark.django_db(transaction=True)
def test_package_permission_requests_move_with_their_status(executor, old_package_grants):
    new = migrate_to_latest(executor)

    moved = new.get_model("packages_app", "PackagePermissionRequest").objects.order_by("role")
    assert [(r.package.name, r.user.username, r.role, r.status, r.message) for r in moved] == [
        ("ledger", "ada", "admin", "pending", "please"),
        ("ledger", "ada", "viewer", "refused", ""),
    ]
    assert not new.get_model("registry", "PermissionRequest").objects.exists()


@pytest.mark.django_db(transaction=True)
def test_moving_package_grants_back_restores_the_old_rows(executor, old_package_grants):
    migrate_to_latest(executor)

    executor.loader.build_graph()
    executor.migrate([("packages_app", "0006_version_index_claim_identity")])
    old = executor.loader.project_state(BEFORE_PACKAGE_GRANTS_MOVE).apps

    restored = old.get_model("registry", "Grant").objects.filter(package__isnull=False).order_by("role")
    assert [(grant.package.name, grant.role) for grant in restored] == [("ledger", "modeler"), ("ledger", "viewer")]
