"""Tags in the console: edited one per line (or comma-separated), stored as the JSON list the models keep."""

import pytest
from django.urls import reverse

from components_app.services import create_component
from tests.components.sources import bindjs
from tests.factories import make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def edit_package(staff_client, package):
    url = reverse("admin:packages_app_package_change", args=[package.pk])

    def post(tags: str):
        response = staff_client.post(url, {"description": "", "replication_count": 1, "tags": tags})
        package.refresh_from_db()
        return response

    return post


def test_tags_typed_one_per_line_are_stored_as_a_json_list(edit_package, package):
    response = edit_package("finance\n  revenue  \n\nfinance\n")

    assert response.status_code == 302
    assert package.tags == ["finance", "revenue"]  # blanks dropped, spaces trimmed, the repeat kept once


def test_commas_separate_tags_too(edit_package, package):
    edit_package("finance, revenue,quarterly")

    assert package.tags == ["finance", "revenue", "quarterly"]


def test_a_pasted_json_list_is_taken_as_it_is(edit_package, package):
    edit_package('["finance", "revenue"]')

    assert package.tags == ["finance", "revenue"]


def test_emptying_the_box_clears_the_tags(edit_package, package):
    package.tags = ["old"]
    package.save()

    edit_package("")

    assert package.tags == []


def test_the_change_page_shows_the_stored_tags_one_per_line_not_as_json(staff_client, package):
    package.tags = ["finance", "revenue"]
    package.save()

    page = staff_client.get(reverse("admin:packages_app_package_change", args=[package.pk])).content.decode()

    assert 'class="tags-input"' in page
    assert ">\nfinance\nrevenue</textarea>" in page
    assert "[&quot;finance&quot;" not in page


def test_a_tag_longer_than_the_api_allows_is_refused_in_words(edit_package, package):
    response = edit_package("finance\n" + "x" * 101)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["tags"]
    assert errors == ["The tag “xxxxxxxxxxxxxxxxxxxx…” is 101 characters long; a tag may be at most 100."]
    assert package.tags == []


def test_json_that_is_not_a_list_of_strings_is_refused_in_words(edit_package, package):
    response = edit_package('["finance", 3]')

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["tags"] == [
        "This looks like JSON but is not a list of strings; type the tags one per line instead."
    ]


def test_version_and_component_pages_show_tags_as_a_list(staff_client, package, project, staff_user):
    version = make_version(package, "1.0.0", tags=["finance", "q3"])
    component = create_component(
        project=project, name="chart", type="view", content=bindjs("Chart()"), author=staff_user
    )
    component.tags = ["charts", "bars"]
    component.save()

    version_page = staff_client.get(reverse("admin:packages_app_version_change", args=[version.pk])).content.decode()
    component_page = staff_client.get(
        reverse("admin:components_app_component_change", args=[component.pk])
    ).content.decode()

    assert '<ul class="tag-list"><li>finance</li><li>q3</li></ul>' in version_page
    assert '<ul class="tag-list"><li>charts</li><li>bars</li></ul>' in component_page
    assert "[&quot;finance&quot;" not in version_page
