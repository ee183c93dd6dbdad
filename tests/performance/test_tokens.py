"""A token is read from the database on every request, so what changes it takes effect at once, and its
last use costs one write per window, not one per request."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.models import ApiToken
from tests.api_v0.conftest import BASE

pytestmark = pytest.mark.django_db

PACKAGE = f"{BASE}/packages/ledger"


def test_a_token_revoked_outside_any_service_is_refused_on_the_next_request(client_for, viewer, package):
    client = client_for(viewer, name="soon-revoked")
    assert client.get(PACKAGE).status_code == 200
    ApiToken.objects.filter(name="soon-revoked").update(revoked_at=timezone.now())  # as the shell would
    assert client.get(PACKAGE).status_code == 401


def test_a_deactivated_user_is_refused_on_the_next_request(client_for, viewer, package):
    client = client_for(viewer)
    assert client.get(PACKAGE).status_code == 200
    type(viewer).objects.filter(pk=viewer.pk).update(is_active=False)  # as a staff edit would
    assert client.get(PACKAGE).status_code == 401


def test_last_use_is_written_once_per_window_however_many_requests(client_for, viewer, package):
    client = client_for(viewer, name="busy")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert client.get(PACKAGE).status_code == 200
    writes = [query["sql"] for query in queries if query["sql"].startswith('UPDATE "registry_apitoken"')]
    assert len(writes) == 1
    assert ApiToken.objects.get(name="busy").last_used_at is not None


def test_a_use_past_the_window_is_written_again(settings, client_for, viewer, package):
    settings.REGISTRY_TOKEN_LAST_USED_RESOLUTION = 60
    client = client_for(viewer, name="daily")
    client.get(PACKAGE)
    long_ago = timezone.now() - timedelta(hours=1)
    ApiToken.objects.filter(name="daily").update(last_used_at=long_ago)
    client.get(PACKAGE)
    assert ApiToken.objects.get(name="daily").last_used_at > long_ago
