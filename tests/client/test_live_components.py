"""``registry-cli components`` and ``release`` (Metabind-style) against a live server."""

import pytest

from components_app import services
from components_app.models import Component
from tests.components.sources import bindjs

pytestmark = pytest.mark.django_db(transaction=True)  # the live server thread must see committed rows


@pytest.fixture
def drafts(project, publisher):
    return [
        services.create_component(
            project=project, name="ProductCard", type="view", content=bindjs("card()"), author=publisher
        ),
        services.create_component(
            project=project, name="ArticleLayout", type="layout", content=bindjs("stack()"), author=publisher
        ),
    ]


def test_components_lists_the_project_components_with_their_status(cli, drafts):
    result = cli("components", "acme/finance")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "STATUS", "VERSION", "LAST", "PUBLISHED"]
    assert sorted(line.split()[:3] for line in lines[1:]) == [
        ["ArticleLayout", "layout", "draft"],
        ["ProductCard", "view", "draft"],
    ]


def test_components_json_is_the_list_of_component_objects(cli, drafts):
    result = cli("components", "acme/finance", "--json")

    assert result.exit_code == 0, result.stderr
    assert sorted(component["name"] for component in result.json()) == ["ArticleLayout", "ProductCard"]


def test_release_publishes_the_drafts_and_prints_the_validation_report(cli, drafts):
    result = cli("release", "acme/finance", "--version", "1.0.0", "--description", "First", "--tag", "ui")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Released acme/finance@1.0.0"
    assert "  ProductCard: new -> 1" in lines
    assert "  ArticleLayout: new -> 1" in lines
    assert set(Component.objects.filter(project__name="finance").values_list("status", flat=True)) == {"published"}


def test_release_json_is_the_server_answer(cli, drafts):
    result = cli("release", "acme/finance", "--version", "1.0.0", "--json")

    assert result.exit_code == 0, result.stderr
    document = result.json()
    assert document["package"]["version"] == "1.0.0"
    assert set(document["validation"]) == {"componentChanges", "statusChanges", "versionIncrements"}


def test_releasing_an_existing_version_again_exits_5_with_version_exists(cli, drafts):
    assert cli("release", "acme/finance", "--version", "1.0.0").exit_code == 0

    result = cli("release", "acme/finance", "--version", "1.0.0")

    assert result.exit_code == 5
    assert result.error[0].startswith("VERSION_EXISTS: ")


def test_releasing_a_project_without_components_exits_6(cli, project):
    result = cli("release", "acme/finance", "--version", "1.0.0")

    assert result.exit_code == 6
    assert result.error[0].startswith("NO_COMPONENTS_TO_PACKAGE: ")


def test_releasing_a_malformed_version_is_refused_before_the_server_is_asked(cli, drafts):
    result = cli("release", "acme/finance", "--version", "1.0")

    assert result.exit_code == 2  # usage, like publish --version 1.0: the server never saw it
    assert result.error[0].startswith("INVALID_VERSION: ")
    assert "  provided: 1.0" in result.error
    assert set(Component.objects.filter(project__name="finance").values_list("status", flat=True)) == {"draft"}


def test_components_status_filter_shows_only_that_status(cli, drafts, publisher):
    services.update_component(component=drafts[0], content=bindjs("card2()"), author=publisher)  # still a draft
    assert cli("release", "acme/finance", "--version", "1.0.0").exit_code == 0
    services.update_component(
        component=drafts[1], content=bindjs("stack2()"), author=publisher
    )  # published -> modified

    result = cli("components", "acme/finance", "--status", "modified", "--json")

    assert result.exit_code == 0, result.stderr
    assert [(c["name"], c["status"], c["lastPublishedVersion"]) for c in result.json()] == [
        ("ArticleLayout", "modified", 1)
    ]
