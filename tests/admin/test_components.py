import pytest
from django.urls import reverse

from components_app.admin_views import side_by_side
from components_app.services import create_component, publish_package, update_component
from tests.components.sources import bindjs

pytestmark = pytest.mark.django_db


@pytest.fixture
def chart(project, staff_user):
    """A component published twice (versions 1 and 2), then edited into a modified draft."""
    component = create_component(
        project=project, name="chart", type="view", content=bindjs() + "// line a\n// line b\n", author=staff_user
    )
    publish_package(project=project, version="1.0.0", author=staff_user)
    component.refresh_from_db()
    update_component(component=component, content=bindjs() + "// line a\n// line B\n// line c\n", author=staff_user)
    publish_package(project=project, version="1.1.0", author=staff_user)
    component.refresh_from_db()
    update_component(
        component=component, content=bindjs() + "// line a\n// line B\n// line c\n// line d\n", author=staff_user
    )
    component.refresh_from_db()
    return component


def diff_page(client, component, **params):
    return client.get(reverse("admin:components_app_component_diff", args=[component.pk]), params)


def test_component_page_lists_its_versions_with_diff_links(staff_client, chart):
    response = staff_client.get(reverse("admin:components_app_component_change", args=[chart.pk]))

    assert [v.version for v in response.context["component_versions"]] == [2, 1]
    html = response.content.decode()
    assert "?from=2&amp;to=draft" in html
    assert "?from=1&amp;to=2" in html


def test_diff_between_two_versions_shows_the_changed_lines(staff_client, chart):
    response = diff_page(staff_client, chart, **{"from": "1", "to": "2"})

    html = response.content.decode()
    assert response.context["changed_lines"] == 3  # b removed; B and c added
    assert '<span class="diff_chg">b</span>' in html  # b became B
    assert '<span class="diff_chg">B</span>' in html
    assert '<td class="code diff_add">// line c</td>' in html


def test_diff_rows_pair_lines_and_keep_their_indentation_and_escape_their_text():
    rows = side_by_side(["if (a) {", "    go();", "}"], ["if (a) {", "    stop(<b>);", "    go();", "}"])

    assert [(row.left.number, row.right.number) for row in rows] == [(1, 1), (None, 2), (2, 3), (3, 4)]
    added = rows[1].right
    assert (added.mark, added.html) == ("diff_add", "    stop(&lt;b&gt;);")
    assert rows[2].left.html == rows[2].right.html == "    go();"


def test_diff_defaults_to_the_latest_version_against_the_draft(staff_client, chart):
    response = diff_page(staff_client, chart)

    assert (response.context["left"], response.context["right"]) == ("2", "draft")
    assert response.context["changed_lines"] == 1
    assert '<td class="code diff_add">// line d</td>' in response.content.decode()


def test_diff_of_identical_content_says_so(staff_client, chart):
    response = diff_page(staff_client, chart, **{"from": "2", "to": "2"})

    assert response.context["identical"] is True


def test_diff_ignores_an_unknown_version_choice(staff_client, chart):
    response = diff_page(staff_client, chart, **{"from": "99", "to": "<script>"})

    assert response.status_code == 200
    assert (response.context["left"], response.context["right"]) == ("2", "draft")


def test_component_fields_are_read_only_in_the_console(staff_client, chart):
    url = reverse("admin:components_app_component_change", args=[chart.pk])

    staff_client.post(url, {"content": "hacked", "status": "deleted"})

    chart.refresh_from_db()
    assert chart.content.endswith("line d\n")
    assert chart.status == "modified"
