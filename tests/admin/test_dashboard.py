from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from packages_app.models import IndexStatus, Version
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_dashboard_counts_organizations_packages_and_versions(staff_client, publish):
    publish("ledger", "1.0.0")
    publish("ledger", "1.1.0")
    publish("core", "1.0.0")

    response = staff_client.get(reverse("admin:index"))

    assert response.status_code == 200
    dashboard = response.context["dashboard"]
    assert (dashboard["organizations"], dashboard["packages"], dashboard["versions"]) == (1, 2, 3)
    assert b'id="registry-stats"' in response.content


def test_dashboard_lists_recent_publishes_newest_first(staff_client, publish):
    publish("ledger", "1.0.0")
    newest = publish("ledger", "2.0.0")
    Version.objects.filter(pk=newest.pk).update(created_at=timezone.now() + timedelta(minutes=1))

    response = staff_client.get(reverse("admin:index"))

    recent = response.context["dashboard"]["recent"]
    assert [v.version for v in recent] == ["2.0.0", "1.0.0"]


def test_dashboard_links_failed_and_stuck_indexing_to_each_version_page(staff_client, publish):
    failed = publish("ledger", "1.0.0")
    stuck = publish("ledger", "1.1.0")
    healthy = publish("ledger", "1.2.0")
    long_ago = timezone.now() - timedelta(hours=2)
    Version.objects.filter(pk=failed.pk).update(index_status=IndexStatus.FAILED, index_error="bad archive: no model")
    Version.objects.filter(pk=stuck.pk).update(index_status=IndexStatus.INDEXING, index_started_at=long_ago)
    Version.objects.filter(pk=healthy.pk).update(index_status=IndexStatus.INDEXED)

    response = staff_client.get(reverse("admin:index"))

    attention = {v.pk for v in response.context["dashboard"]["attention"]}
    assert attention == {failed.pk, stuck.pk}
    page = response.content.decode()
    assert reverse("admin:packages_app_version_change", args=[failed.pk]) in page
    assert reverse("admin:packages_app_version_change", args=[stuck.pk]) in page
    assert "bad archive: no model" in page


def test_a_version_indexing_for_a_short_while_is_not_reported_as_stuck(staff_client, publish):
    version = publish("ledger", "1.0.0")
    Version.objects.filter(pk=version.pk).update(index_status=IndexStatus.INDEXING, index_started_at=timezone.now())

    response = staff_client.get(reverse("admin:index"))

    assert response.context["dashboard"]["attention"] == []


@pytest.mark.parametrize(
    "url_name",
    ["admin:index", "admin:packages_app_version_changelist", "admin:packages_app_package_changelist"],
)
def test_non_staff_users_are_sent_to_the_login_page(client, url_name):
    client.force_login(UserFactory(is_staff=False))

    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_non_staff_users_cannot_open_a_graph_page(client, publish):
    version = publish("ledger", "1.0.0")
    client.force_login(UserFactory(is_staff=False))

    response = client.get(reverse("admin:packages_app_version_graph", args=[version.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:packages_app_version_graph",
        "admin:packages_app_version_dependents",
        "admin:packages_app_version_download",
    ],
)
def test_staff_without_the_view_permission_are_refused_the_console_pages(client, publish, url_name):
    version = publish("ledger", "1.0.0")
    client.force_login(UserFactory(username="intern", is_staff=True))  # staff, but granted no model permissions

    response = client.get(reverse(url_name, args=[version.pk]))

    assert response.status_code == 403


def test_staff_without_the_view_permission_are_refused_the_check_page(client, publish):
    version = publish("ledger", "1.0.0")
    client.force_login(UserFactory(username="intern", is_staff=True))

    response = client.get(reverse("admin:packages_app_package_check", args=[version.package_id]))

    assert response.status_code == 403


def test_a_version_the_sweeper_never_picked_up_is_reported(staff_client, publish):
    waiting = publish("ledger", "1.0.0")
    fresh = publish("ledger", "1.1.0")
    Version.objects.filter(pk=waiting.pk).update(
        index_status=IndexStatus.UNKNOWN, updated_at=timezone.now() - timedelta(hours=1)
    )
    Version.objects.filter(pk=fresh.pk).update(index_status=IndexStatus.UNKNOWN, updated_at=timezone.now())

    response = staff_client.get(reverse("admin:index"))

    assert [v.pk for v in response.context["dashboard"]["attention"]] == [waiting.pk]
