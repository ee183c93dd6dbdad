import json
import zipfile

import pytest

from components_app import services
from components_app.models import Component, ComponentVersion
from packages_app.models import LockEntry, Package, PackageKind, Version, artifact_key, artifact_storage
from registry.errors import RegistryError
from registry.models import Project, Role
from tests.components.conftest import reload
from tests.components.sources import bindjs
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def statuses(project):
    return {c.name: (c.status, c.version, c.last_published_version) for c in Component.objects.filter(project=project)}


def test_publishing_puts_drafts_at_1_and_modified_at_the_next_number_and_leaves_deleted_out(
    project, make_component, publish, author
):
    kept, changed, dropped = make_component("Kept"), make_component("Changed"), make_component("Dropped")
    publish("1.0.0")
    services.update_component(component=reload(changed), content=bindjs("v2()"), author=author)
    services.set_component_status(component=reload(dropped), status="deleted")
    make_component("Fresh")

    result = publish("1.1.0")

    assert statuses(project) == {
        "Kept": ("published", 1, 1),
        "Changed": ("published", 2, 2),
        "Dropped": ("deleted", None, 1),
        "Fresh": ("published", 1, 1),
    }
    snapshot = {
        entry.component_version.name: entry.component_version.version
        for entry in result.version.component_entries.select_related("component_version")
    }
    assert snapshot == {"Kept": 1, "Changed": 2, "Fresh": 1}
    assert kept.pk


def test_the_component_package_is_named_after_the_project_and_created_on_first_publish(
    project, make_component, publish
):
    make_component()
    version = publish("1.0.0").version
    assert (version.package.name, version.package.kind) == (project.name, PackageKind.COMPONENTS)


def test_the_author_of_a_package_version_is_the_caller(make_component, publish, author):
    make_component()
    assert publish("1.0.0").version.author == author


def test_the_validation_report_agrees_with_itself_and_with_the_package(project, make_component, publish, author):
    a, b, c, d = (make_component(name) for name in "ABCD")
    publish("1.0.0")
    services.update_component(component=reload(a), content=bindjs("a2()"), author=author)  # modified
    services.set_component_status(component=reload(b), status="deleted")  # left out
    e = make_component("E")  # draft
    # C: deleted then restored to draft after being published: republished at 2
    services.set_component_status(component=reload(c), status="deleted")
    services.set_component_status(component=reload(c), status="draft")

    result = publish("2.0.0")
    report = result.validation
    included = {
        str(entry.component_version.component_id): entry.component_version.version
        for entry in result.version.component_entries.select_related("component_version")
    }
    ids = {x.name: str(x.pk) for x in (a, b, c, d, e)}

    assert report["statusChanges"] == {"draft": [ids["C"], ids["E"]], "modified": [ids["A"]], "published": [ids["D"]]}
    assert report["versionIncrements"] == {
        ids["A"]: {"from": 1, "to": 2},
        ids["C"]: {"from": 1, "to": 2},
        ids["E"]: {"from": None, "to": 1},
    }
    assert report["componentChanges"] == {"added": [ids["E"]], "updated": [ids["A"], ids["C"]], "deleted": [ids["B"]]}
    # consistency: the status lists partition the package; increments cover exactly draft + modified
    all_listed = [key for keys in report["statusChanges"].values() for key in keys]
    assert sorted(all_listed) == sorted(included)
    assert set(report["versionIncrements"]) == set(
        report["statusChanges"]["draft"] + report["statusChanges"]["modified"]
    )
    assert {k: v["to"] for k, v in report["versionIncrements"].items()}.items() <= included.items()
    assert set(report["componentChanges"]["updated"]) <= set(report["versionIncrements"])
    assert not set(report["componentChanges"]["deleted"]) & set(included)


def test_a_version_that_is_not_strict_semver_is_refused_with_the_expected_format(make_component, publish):
    make_component()
    with pytest.raises(RegistryError) as caught:
        publish("1.0")
    assert (caught.value.status, caught.value.code) == (400, "INVALID_VERSION")
    assert caught.value.details == {"provided": "1.0", "expected": "X.Y.Z format"}


def test_a_version_not_greater_than_the_latest_is_refused_naming_the_latest(make_component, publish):
    make_component()
    publish("2.0.0")
    with pytest.raises(RegistryError) as caught:
        publish("1.5.0")
    assert (caught.value.status, caught.value.code) == (400, "INVALID_VERSION")
    assert caught.value.details == {"provided": "1.5.0", "latest": "2.0.0"}


def test_an_existing_version_is_a_conflict(make_component, publish):
    make_component()
    publish("1.0.0")
    with pytest.raises(RegistryError) as caught:
        publish("1.0.0")
    assert (caught.value.status, caught.value.code, caught.value.details) == (
        409,
        "VERSION_EXISTS",
        {"version": "1.0.0"},
    )


def test_a_version_number_of_a_deleted_version_is_never_reused(make_component, publish):
    make_component()
    first = publish("1.0.0").version
    first.component_entries.all().delete()
    ComponentVersion.objects.filter(package_version=first).delete()
    first.delete()
    with pytest.raises(RegistryError) as caught:
        publish("1.0.0")
    assert caught.value.code == "VERSION_EXISTS"


def test_a_project_without_live_components_has_nothing_to_package(project, make_component, publish):
    services.set_component_status(component=make_component(), status="deleted")
    with pytest.raises(RegistryError) as caught:
        publish("1.0.0")
    assert (caught.value.status, caught.value.code) == (400, "NO_COMPONENTS_TO_PACKAGE")
    assert caught.value.details == {"projectId": project.name}


def test_publishing_builds_an_archive_with_the_manifest_and_every_component(make_component, publish):
    make_component("Card")
    make_component("Page", type="layout", content=bindjs("stack([])"))
    version = publish("1.0.0", description="First").version
    with artifact_storage().open(artifact_key(version.artifact.sha256)) as blob, zipfile.ZipFile(blob) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("publisher.json"))
        page_source = archive.read("components/Page.js").decode()
    assert names == [
        "compiled/Card.js",
        "compiled/Page.js",
        "components/Card.js",
        "components/Page.js",
        "publisher.json",
    ]
    assert [(c["name"], c["type"], c["version"]) for c in manifest["components"]] == [
        ("Card", "view", 1),
        ("Page", "layout", 1),
    ]
    assert (manifest["version"], manifest["description"], manifest["kind"]) == ("1.0.0", "First", "components")
    assert page_source == bindjs("stack([])")
    assert version.manifest == manifest


def test_the_same_package_content_always_builds_the_same_bytes():
    build = lambda: services.build_component_archive(  # noqa: E731
        manifest={"name": "x", "version": "1.0.0"}, sources={"A": "a()"}, compiled={"A": "a()"}
    )
    assert build() == build()


@pytest.mark.parametrize(("copies", "replicated"), [(1, False), (2, True)])
def test_publishing_schedules_indexing_after_commit_and_replication_when_more_copies_are_wanted(
    copies, replicated, project, make_component, publish, django_capture_on_commit_callbacks, monkeypatch
):
    from packages_app import tasks

    sent = []
    monkeypatch.setattr(tasks.index_version_task, "delay", lambda *args: sent.append(("index", *args)))
    monkeypatch.setattr(tasks.replicate_artifact_task, "delay", lambda *args: sent.append(("replicate", *args)))
    make_component()
    if copies > 1:
        publish("1.0.0")  # creates the component package, whose replicationCount is then raised
        Package.objects.filter(project=project).update(replication_count=copies)
        sent.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = publish("1.0.1" if copies > 1 else "1.0.0")
    assert sent == []  # nothing leaves before commit
    for callback in callbacks:
        callback()
    expected = [("index", result.version.id)]
    if replicated:
        expected.append(("replicate", result.version.artifact_id))
    assert sent == expected


def test_a_refused_publish_changes_nothing(project, make_component, publish):
    make_component()
    publish("1.0.0")
    with pytest.raises(RegistryError):
        publish("0.9.0")
    assert Version.objects.filter(package__project=project).count() == 1
    assert ComponentVersion.objects.count() == 1


# --- dependencies ----------------------------------------------------------------------------------


@pytest.fixture
def core(organization, author, grant):
    """Another project of the organization with published component packages 1.0.0 and 1.1.0."""
    core = ProjectFactory(organization=organization, name="core")
    grant(core, Role.VIEWER, user=author)
    services.create_component(project=core, name="Button", type="view", content=bindjs("button()"), author=author)
    services.publish_package(project=core, version="1.0.0", author=author)
    services.publish_package(project=core, version="1.1.0", author=author)
    return core


def test_a_project_dependency_is_published_as_an_exact_pin_with_its_lock(project, core, make_component, publish):
    services.add_project_dependency(project=project, depends_on=core, version="1.0.0")
    make_component()
    version = publish("1.0.0").version
    assert [(d.package.name, d.range) for d in version.dependencies.all()] == [("core", "1.0.0")]
    assert [(e.resolved.package.name, e.resolved.version) for e in LockEntry.objects.filter(root=version)] == [
        ("core", "1.0.0")
    ]
    assert version.manifest["dependencies"] == {"core": "1.0.0"}


def test_incompatible_project_dependencies_refuse_the_publish(
    project, core, organization, author, make_component, publish, grant
):
    # ui pins core 1.1.0; finance pins core 1.0.0 and ui: one closure cannot hold both core versions.
    ui = ProjectFactory(organization=organization, name="ui")
    grant(ui, Role.VIEWER, user=author)
    services.add_project_dependency(project=ui, depends_on=core, version="1.1.0")
    services.create_component(project=ui, name="Shell", type="layout", content=bindjs("shell()"), author=author)
    services.publish_package(project=ui, version="1.0.0", author=author)
    services.add_project_dependency(project=project, depends_on=core, version="1.0.0")
    services.add_project_dependency(project=project, depends_on=ui, version="1.0.0")
    make_component()
    with pytest.raises(RegistryError) as caught:
        publish("1.0.0")
    assert (caught.value.status, caught.value.code) == (409, "INVALID_PACKAGE_DEPENDENCY")
    conflict = caught.value.details["conflicts"][0]
    assert conflict["package"] == "core"
    assert {conflict["required"]["version"], conflict["provided"]["version"]} == {"1.0.0", "1.1.0"}
    assert not Version.objects.filter(package__project=project).exists()


def test_a_dependency_loop_through_published_versions_refuses_the_publish(
    project, core, author, make_component, publish
):
    # core 2.0.0 depends on finance 1.0.0; core then drops the declaration, and finance depends on core 2.0.0.
    make_component()
    publish("1.0.0")
    services.add_project_dependency(project=core, depends_on=project, version="1.0.0")
    services.publish_package(project=core, version="2.0.0", author=author)
    services.remove_project_dependency(project=core, depends_on_name="finance")
    services.add_project_dependency(project=project, depends_on=core, version="2.0.0")
    with pytest.raises(RegistryError) as caught:
        publish("2.0.0")
    assert (caught.value.status, caught.value.code) == (409, "CIRCULAR_DEPENDENCY")
    # the loop comes back to the same project (at the version core pinned)
    assert caught.value.details == {"cycle": ["finance@2.0.0", "core@2.0.0", "finance@1.0.0"]}
    assert not Version.objects.filter(package__project=project, version="2.0.0").exists()


def test_declaring_a_dependency_that_closes_a_loop_names_the_path(
    project, core, organization, author, grant, make_component, publish
):
    make_component()
    publish("1.0.0")
    ui = ProjectFactory(organization=organization, name="ui")
    services.create_component(project=ui, name="Shell", type="layout", content=bindjs("shell()"), author=author)
    services.publish_package(project=ui, version="1.0.0", author=author)
    services.add_project_dependency(project=project, depends_on=core, version="1.0.0")
    services.add_project_dependency(project=core, depends_on=ui, version="1.0.0")
    with pytest.raises(RegistryError) as caught:
        services.add_project_dependency(project=ui, depends_on=project, version="1.0.0")
    assert (caught.value.status, caught.value.code) == (409, "CIRCULAR_DEPENDENCY")
    assert caught.value.details == {"path": ["ui", "finance", "core", "ui"]}


def test_a_data_model_package_named_after_the_project_blocks_publishing_components(project, make_component, publish):
    from tests.factories import PackageFactory

    PackageFactory(project=project, name=project.name)
    make_component()
    with pytest.raises(RegistryError) as caught:
        publish("1.0.0")
    assert (caught.value.status, caught.value.code) == (409, "PACKAGE_NAME_TAKEN")
    assert caught.value.details == {"package": "finance", "kind": "data-model"}


def test_a_published_component_package_is_indexed_with_an_entry_per_component(
    make_component, publish, django_capture_on_commit_callbacks
):
    make_component("Card")
    make_component("Page", type="layout", content=bindjs("stack([])", title="Page layout"))
    with django_capture_on_commit_callbacks(execute=True):
        version = publish("1.0.0").version
    version.refresh_from_db()
    assert version.index_status == "indexed", version.index_error
    entries = version.index_entries.filter(kind="component").order_by("name")
    assert [(e.name, e.path, e.data["type"], e.data["version"]) for e in entries] == [
        ("Card", "components/Card.js", "view", 1),
        ("Page", "components/Page.js", "layout", 1),
    ]


def test_declaring_a_dependency_of_a_project_deleted_meanwhile_is_404(project, core):
    stale = Project.objects.get(pk=project.pk)  # what the view looked up, before a concurrent delete
    project.delete()

    with pytest.raises(RegistryError) as refused:
        services.add_project_dependency(project=stale, depends_on=core, version="1.0.0")
    assert (refused.value.status, refused.value.code) == (404, "NOT_FOUND")


def test_creating_a_component_in_a_project_deleted_meanwhile_is_404(project, author):
    stale = Project.objects.get(pk=project.pk)
    project.delete()

    with pytest.raises(RegistryError) as refused:
        services.create_component(project=stale, name="Card", type="view", content=bindjs("card()"), author=author)
    assert (refused.value.status, refused.value.code) == (404, "NOT_FOUND")
