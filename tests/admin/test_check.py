import re

import pytest
from django.urls import reverse

from packages_app.models import ArchiveStatus, Dependency, Version
from tests.factories import make_version

pytestmark = pytest.mark.django_db


def check_page(client, package):
    return client.get(reverse("admin:packages_app_package_check", args=[package.pk]))


def test_check_reports_nothing_changes_when_the_lock_is_still_the_best_choice(staff_client, publish):
    publish("core", "1.0.0")
    app = publish("app", "1.0.0", {"core": "^1.0.0"})

    response = check_page(staff_client, app.package)

    assert response.context["changes"] == []
    assert response.context["error"] is None
    assert b'id="check-unchanged"' in response.content


def test_check_shows_a_newer_version_the_fresh_resolution_would_choose(staff_client, publish):
    publish("core", "1.0.0")
    app = publish("app", "1.0.0", {"core": "^1.0.0"})
    publish("core", "1.4.0")

    response = check_page(staff_client, app.package)

    changes = [(c["package"], c["before"].version, c["after"].version, c["state"]) for c in response.context["changes"]]
    assert changes == [("core", "1.0.0", "1.4.0", "changed")]
    assert re.search(r'<g class="node changed" data-key="core@1.4.0"', response.content.decode())


def test_check_draws_a_conflict_in_red_when_nothing_satisfies_a_range_any_more(staff_client, publish):
    core = publish("core", "1.0.0")
    app = publish("app", "1.0.0", {"core": "^1.0.0"})
    Version.objects.filter(pk=core.pk).update(archive_status=ArchiveStatus.ARCHIVE)

    response = check_page(staff_client, app.package)

    assert response.context["error"].code == "INVALID_PACKAGE_DEPENDENCY"
    html = response.content.decode()
    assert re.search(r'<g class="node problem" data-key="conflict:core"', html)
    assert re.search(r'<g class="edge problem" data-source="app@1.0.0" data-target="conflict:core"', html)
    assert 'id="check-conflicts"' in html


def test_check_draws_a_cycle_in_red(staff_client, publish):
    publish("base", "1.0.0")
    app = publish("app", "1.0.0", {"base": "^1.0.0"})
    # The resolver refuses to publish a cycle, so write the offending row directly: the check must still
    # draw a registry that holds one (rows imported from elsewhere, or written before the resolver).
    newer_base = make_version(app.package.project.packages.get(name="base"), "1.1.0")
    Dependency.objects.create(version=newer_base, package=app.package, reference="app", range="^1.0.0")

    response = check_page(staff_client, app.package)

    assert response.context["error"].code == "CIRCULAR_DEPENDENCY"
    assert response.context["cycle"][0] == response.context["cycle"][-1] == "app@1.0.0"
    html = response.content.decode()
    assert re.search(r'<g class="edge problem" data-source="app@1.0.0" data-target="base@1.1.0"', html)
    assert re.search(r'<g class="edge problem" data-source="base@1.1.0" data-target="app@1.0.0"', html)


def test_check_of_a_package_without_available_versions_says_so(staff_client, publish):
    only = publish("app", "1.0.0")
    Version.objects.filter(pk=only.pk).update(archive_status=ArchiveStatus.ARCHIVE)

    response = check_page(staff_client, only.package)

    assert response.status_code == 200
    assert response.context["latest"] is None
