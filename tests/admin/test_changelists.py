import pytest
from django.urls import reverse

from components_app.services import create_component, publish_package
from packages_app.models import ArchiveStatus, IndexEntry, IndexStatus, Version
from registry.tokens import issue_token
from tests.components.sources import bindjs
from tests.factories import GrantFactory, OrganizationFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "registry_organization",
    "registry_project",
    "registry_grant",
    "registry_apitoken",
    "packages_app_package",
    "packages_app_version",
    "packages_app_artifact",
    "packages_app_dependency",
    "packages_app_lockentry",
    "packages_app_indexentry",
    "packages_app_usedversionnumber",
    "components_app_component",
    "components_app_componentversion",
    "components_app_packagecomponent",
]
# The most queries any changelist makes (session, user, count, total, rows, filter choices), however many rows.
MAX_CHANGELIST_QUERIES = 9


def populate(count: int, *, publish, project, staff_user) -> None:
    """``count`` rows of every model the console lists."""
    for n in range(count):
        publish(f"lib{n}", "1.0.0")
        app = publish(f"app{n}", "1.0.0", {f"lib{n}": "^1.0.0"})
        IndexEntry.objects.create(version=app, kind="source", name=f"orders{n}", path="model.malloy", line=3)
        user = UserFactory()
        issue_token(user=user, name=f"ci{n}")
        GrantFactory(project=project, user=user)
        components_project = ProjectFactory(organization=OrganizationFactory(), name=f"ui{n}")
        create_component(
            project=components_project, name=f"chart{n}", type="view", content=bindjs(f"Chart{n}()"), author=staff_user
        )
        publish_package(project=components_project, version="1.0.0", author=staff_user)


@pytest.mark.parametrize("rows", [1, 25])
def test_every_changelist_makes_the_same_few_queries_whatever_the_number_of_rows(
    rows, staff_client, publish, project, staff_user, django_assert_max_num_queries
):
    populate(rows, publish=publish, project=project, staff_user=staff_user)

    for model in CHANGELISTS:
        with django_assert_max_num_queries(MAX_CHANGELIST_QUERIES, info=model):
            response = staff_client.get(reverse(f"admin:{model}_changelist"))

        assert response.status_code == 200, model
        assert len(response.context["cl"].result_list) >= rows, model


def test_package_changelist_shows_latest_version_and_its_index_status(staff_client, publish):
    publish("ledger", "1.0.0")
    newest = publish("ledger", "2.0.0")
    Version.objects.filter(pk=newest.pk).update(index_status=IndexStatus.FAILED)

    response = staff_client.get(reverse("admin:packages_app_package_changelist"))

    page = response.content.decode()
    assert reverse("admin:packages_app_version_change", args=[newest.pk]) in page
    assert 'data-status="failed"' in page


def test_package_changelist_filters_by_the_latest_versions_index_status(staff_client, publish):
    failed = publish("ledger", "1.0.0")
    publish("core", "1.0.0")
    Version.objects.filter(pk=failed.pk).update(index_status=IndexStatus.FAILED)

    response = staff_client.get(reverse("admin:packages_app_package_changelist"), {"index_status": "failed"})

    assert [p.name for p in response.context["cl"].result_list] == ["ledger"]


def test_version_changelist_filters_by_archive_status(staff_client, publish):
    archived = publish("ledger", "1.0.0")
    publish("ledger", "1.1.0")
    Version.objects.filter(pk=archived.pk).update(archive_status=ArchiveStatus.ARCHIVE)

    response = staff_client.get(reverse("admin:packages_app_version_changelist"), {"archive_status__exact": "archive"})

    assert [v.pk for v in response.context["cl"].result_list] == [archived.pk]


def test_version_changelist_search_finds_versions_by_package_name(staff_client, publish):
    publish("ledger", "1.0.0")
    publish("core", "1.0.0")

    response = staff_client.get(reverse("admin:packages_app_version_changelist"), {"q": "core"})

    assert [v.label for v in response.context["cl"].result_list] == ["core@1.0.0"]


def test_component_changelist_filters_by_status_and_type(staff_client, project, staff_user):
    create_component(project=project, name="chart", type="view", content=bindjs("a()"), author=staff_user)
    create_component(project=project, name="page", type="layout", content=bindjs("b()"), author=staff_user)

    response = staff_client.get(
        reverse("admin:components_app_component_changelist"), {"type__exact": "layout", "status__exact": "draft"}
    )

    assert [c.name for c in response.context["cl"].result_list] == ["page"]


def test_a_versions_fields_cannot_be_changed_from_its_page(staff_client, publish):
    version = publish("ledger", "1.0.0")
    url = reverse("admin:packages_app_version_change", args=[version.pk])

    page = staff_client.get(url).content.decode()
    staff_client.post(url, {"version": "9.9.9", "archive_status": "archive", "description": "edited"})

    version.refresh_from_db()
    assert (version.version, version.archive_status, version.description) == ("1.0.0", "unarchive", "")
    assert 'name="version"' not in page
    assert 'name="_save"' not in page


def test_a_packages_name_and_project_are_read_only_once_it_exists(staff_client, package):
    response = staff_client.get(reverse("admin:packages_app_package_change", args=[package.pk]))

    form_fields = response.context["adminform"].form.fields
    assert "name" not in form_fields
    assert "project" not in form_fields
    assert "description" in form_fields
