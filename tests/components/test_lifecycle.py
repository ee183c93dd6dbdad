import pytest

from components_app import services
from components_app.models import ComponentStatus
from registry.errors import RegistryError
from tests.components.conftest import reload
from tests.components.sources import bindjs

pytestmark = pytest.mark.django_db


def test_a_new_component_is_a_draft_without_a_version(make_component):
    component = make_component()
    assert (component.status, component.version, component.last_published_version) == ("draft", None, None)
    assert component.title == "Product card"


def test_editing_a_draft_overwrites_it_and_keeps_it_a_draft(make_component, author):
    component = make_component()
    services.update_component(component=component, content=bindjs("view()"), author=author)
    component = reload(component)
    assert (component.status, component.content) == ("draft", bindjs("view()"))
    assert "body: ()=>view()" in component.compiled


def test_editing_a_published_component_makes_it_modified_and_keeps_its_last_published_version(
    make_component, publish, author
):
    component = make_component()
    publish("1.0.0")
    services.update_component(component=reload(component), content=bindjs("view()"), author=author)
    component = reload(component)
    assert (component.status, component.version, component.last_published_version) == ("modified", None, 1)


def test_editing_a_deleted_component_is_refused(make_component, author):
    component = services.set_component_status(component=make_component(), status="deleted")
    with pytest.raises(RegistryError) as caught:
        services.update_component(component=component, content=bindjs("x()"), author=author)
    assert (caught.value.status, caught.value.code) == (409, "INVALID_STATUS")


def test_renaming_onto_another_components_name_in_any_case_is_refused(make_component, author):
    make_component("Card")
    other = make_component("Other")
    with pytest.raises(RegistryError) as caught:
        services.update_component(component=other, name="CARD", author=author)
    assert (caught.value.status, caught.value.code, caught.value.details) == (
        409,
        "COMPONENT_NAME_EXISTS",
        {"name": "CARD"},
    )


@pytest.mark.parametrize("start", ["draft", "modified", "published"])
def test_any_live_component_can_be_deleted(start, make_component, publish, author):
    component = make_component()
    if start != "draft":
        publish("1.0.0")
    if start == "modified":
        services.update_component(component=reload(component), content=bindjs("x()"), author=author)
    component = services.set_component_status(component=reload(component), status="deleted")
    assert (component.status, component.version) == ("deleted", None)


@pytest.mark.parametrize(
    ("start", "requested"),
    [
        ("draft", "published"),
        ("draft", "modified"),
        ("draft", "draft"),
        ("deleted", "deleted"),
        ("deleted", "published"),
    ],
)
def test_transitions_outside_the_table_are_refused_with_both_statuses_and_a_hint(start, requested, make_component):
    component = make_component()
    if start == "deleted":
        component = services.set_component_status(component=component, status="deleted")
    with pytest.raises(RegistryError) as caught:
        services.set_component_status(component=component, status=requested)
    error = caught.value
    assert (error.status, error.code) == (409, "INVALID_STATUS_TRANSITION")
    assert error.details["currentStatus"] == start
    assert error.details["requestedStatus"] == requested
    assert error.details["hint"]


def test_a_deleted_component_can_be_restored_to_draft(make_component):
    component = services.set_component_status(component=make_component(), status="deleted")
    assert services.set_component_status(component=component, status="draft").status == "draft"


def test_a_deleted_component_never_published_cannot_be_restored_to_modified(make_component):
    component = services.set_component_status(component=make_component(), status="deleted")
    with pytest.raises(RegistryError) as caught:
        services.set_component_status(component=component, status="modified")
    assert caught.value.code == "INVALID_STATUS_TRANSITION"


def test_a_deleted_component_published_before_can_be_restored_to_modified(make_component, publish):
    component = make_component()
    publish("1.0.0")
    component = services.set_component_status(component=reload(component), status="deleted")
    component = services.set_component_status(component=component, status="modified")
    assert (component.status, component.last_published_version) == ("modified", 1)


def test_an_unknown_status_is_a_validation_error(make_component):
    with pytest.raises(RegistryError) as caught:
        services.set_component_status(component=make_component(), status="archived")
    assert (caught.value.status, caught.value.code) == (400, "VALIDATION_FAILED")


def test_discarding_returns_to_the_last_published_version(make_component, publish, author):
    component = make_component()
    publish("1.0.0")
    services.update_component(component=reload(component), content=bindjs("changed()"), author=author)
    component = services.discard_component_changes(component=reload(component))
    assert (component.status, component.version) == ("published", 1)
    assert component.content.startswith("export default defineComponent")


def test_discarding_a_never_published_draft_is_refused_with_a_hint(make_component):
    with pytest.raises(RegistryError) as caught:
        services.discard_component_changes(component=make_component())
    assert (caught.value.status, caught.value.code) == (409, "NO_PUBLISHED_VERSION")
    assert "hint" in caught.value.details


def test_discarding_a_published_component_is_refused(make_component, publish):
    component = make_component()
    publish("1.0.0")
    with pytest.raises(RegistryError) as caught:
        services.discard_component_changes(component=reload(component))
    assert (caught.value.code, caught.value.details) == ("INVALID_STATUS", {"currentStatus": "published"})


def test_rolling_back_makes_a_modified_copy_of_the_old_version(make_component, publish, author):
    component = make_component()
    publish("1.0.0")
    services.update_component(component=reload(component), content=bindjs("second()"), author=author)
    publish("2.0.0")
    component = services.rollback_component(component=reload(component), version=1, author=author)
    assert (component.status, component.version, component.last_published_version) == ("modified", None, 2)
    assert component.rolled_back_from == 1
    assert component.content.startswith("export default defineComponent")


def test_rolling_back_to_an_unknown_version_lists_the_available_ones(make_component, publish, author):
    component = make_component()
    publish("1.0.0")
    with pytest.raises(RegistryError) as caught:
        services.rollback_component(component=reload(component), version=7, author=author)
    assert (caught.value.status, caught.value.code) == (400, "VERSION_NOT_FOUND")
    assert caught.value.details == {"requestedVersion": 7, "availableVersions": [1]}


def test_a_restored_draft_that_was_published_before_publishes_at_the_next_number(make_component, publish):
    component = make_component()
    publish("1.0.0")
    component = services.set_component_status(component=reload(component), status="deleted")
    services.set_component_status(component=component, status="draft")
    publish("2.0.0")
    assert (reload(component).status, reload(component).version) == (ComponentStatus.PUBLISHED, 2)


def test_a_component_no_package_contains_can_be_removed(make_component):
    component = make_component()
    services.delete_component(component=component)
    assert not type(component).objects.filter(pk=component.pk).exists()


def test_removing_a_component_a_package_contains_names_the_packages(make_component, publish, author):
    component = make_component()
    publish("1.0.0")
    services.update_component(component=reload(component), content=bindjs("x()"), author=author)
    publish("1.1.0")
    with pytest.raises(RegistryError) as caught:
        services.delete_component(component=reload(component))
    assert (caught.value.status, caught.value.code) == (409, "COMPONENT_IN_USE")
    assert caught.value.details["referencedByPackages"] == ["1.0.0", "1.1.0"]


def test_purging_a_projects_components_lets_the_project_be_deleted(project, make_component, publish):
    make_component()
    publish("1.0.0")
    services.purge_components_of_projects(projects=type(project).objects.filter(pk=project.pk))
    project.delete()
    assert not type(project).objects.filter(pk=project.pk).exists()
