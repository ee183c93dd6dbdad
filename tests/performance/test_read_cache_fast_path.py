"""A repeated read is answered by the read cache's middleware, before the view runs, and only when the
full path would have answered the same: same token and URL, same generations, token unexpired, rate left."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from packages_app.api.views import PackageDetailView
from registry.models import ApiToken
from registry.throttling import TokenRateThrottle
from tests.api_v0.conftest import BASE
from tests.factories import make_version

pytestmark = pytest.mark.django_db

PACKAGE = f"{BASE}/packages/ledger"


@pytest.fixture
def view_calls(monkeypatch):
    """Counts the package detail view's runs (each one the full way: URL, authentication, DRF, SQL)."""
    calls = []
    real_get = PackageDetailView.get

    def counting_get(self, request, *args, **kwargs):
        calls.append(request.path)
        return real_get(self, request, *args, **kwargs)

    monkeypatch.setattr(PackageDetailView, "get", counting_get)
    return calls


@pytest.fixture
def clock(monkeypatch):
    """Moves wall-clock time (``time.time`` and ``timezone.now``) forward by ``clock.advance(seconds)``."""
    import time

    real_time, real_now = time.time, timezone.now

    class Clock:
        offset = 0.0

        def advance(self, seconds: float) -> None:
            self.offset += seconds

    shifted = Clock()
    monkeypatch.setattr(time, "time", lambda: real_time() + shifted.offset)
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=shifted.offset))
    return shifted


def test_a_repeated_read_is_answered_without_running_the_view(as_viewer, package, view_calls):
    first = as_viewer.get(PACKAGE)
    again = as_viewer.get(PACKAGE)
    assert again.status_code == 200
    assert again.content == first.content
    assert len(view_calls) == 1


def test_a_cached_answer_carries_the_headers_of_the_full_one(as_viewer, package, view_calls):
    first = as_viewer.get(PACKAGE)
    again = as_viewer.get(PACKAGE)
    assert len(view_calls) == 1
    fresh_per_request = {"X-Request-ID"}
    assert {k: v for k, v in again.items() if k not in fresh_per_request} == {
        k: v for k, v in first.items() if k not in fresh_per_request
    }
    assert again["X-Request-ID"] != first["X-Request-ID"]


def test_a_matching_if_none_match_is_answered_304_without_a_body_or_its_headers(as_viewer, package, view_calls):
    etag = as_viewer.get(PACKAGE)["ETag"]
    response = as_viewer.get(PACKAGE, HTTP_IF_NONE_MATCH=etag)
    assert len(view_calls) == 1
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "Content-Type" not in response
    assert "Content-Length" not in response


def test_revalidating_clients_alone_keep_the_read_cached(as_viewer, package, view_calls):
    etag = as_viewer.get(PACKAGE)["ETag"]
    cache.clear()  # as when the entry expires
    assert as_viewer.get(PACKAGE, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert as_viewer.get(PACKAGE, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert len(view_calls) == 2  # the first 304 went the full way and kept the read again


def test_a_write_to_the_organization_sends_the_next_read_the_full_way(as_modeler, as_viewer, package, view_calls):
    as_viewer.get(PACKAGE)
    as_viewer.get(PACKAGE)
    assert as_modeler.patch(PACKAGE, {"description": "changed"}, format="json").status_code == 200
    assert as_viewer.get(PACKAGE).json()["description"] == "changed"
    assert len(view_calls) == 2


def test_an_expired_token_is_refused_though_its_read_is_cached(client_for, viewer, package, clock):
    client = client_for(viewer, expires_at=timezone.now() + timedelta(seconds=30))
    assert client.get(PACKAGE).status_code == 200
    assert client.get(PACKAGE).status_code == 200
    clock.advance(40)  # past the token's expiry, within the cached read's lifetime and the last-use window
    response = client.get(PACKAGE)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"


def test_cached_reads_count_against_the_rate_limit_once_each(client_for, viewer, package, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute", "anon": "3/minute"})
    client = client_for(viewer, name="busy")
    statuses = [client.get(PACKAGE).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = client.get(PACKAGE)
    assert refused.json()["code"] == "RATE_LIMITED"
    assert 1 <= int(refused["Retry-After"]) <= 60
    (bucket,) = [key for key in cache._cache if "throttle_token" in key]
    assert cache.get(bucket.split(":", 2)[2]) == 6


def test_a_token_still_records_its_last_use_while_its_reads_are_cached(client_for, viewer, package, clock, settings):
    settings.REGISTRY_TOKEN_LAST_USED_RESOLUTION = 10
    client = client_for(viewer, name="ci")
    client.get(PACKAGE)
    client.get(PACKAGE)
    first_use = ApiToken.objects.get(name="ci").last_used_at
    clock.advance(20)  # past the last-use window, within the cached read's lifetime
    client.get(PACKAGE)
    assert ApiToken.objects.get(name="ci").last_used_at >= first_use + timedelta(seconds=20)


def test_a_browsable_api_page_is_never_kept(as_viewer, package, view_calls):
    as_viewer.get(PACKAGE, HTTP_ACCEPT="text/html")
    page = as_viewer.get(PACKAGE, HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    assert len(view_calls) == 2


def test_the_same_read_through_another_host_name_is_kept_apart(as_viewer, package, view_calls, settings):
    make_version(package, "1.0.0")
    settings.ALLOWED_HOSTS = ["registry.example", "mirror.example"]
    as_viewer.get(PACKAGE, HTTP_HOST="registry.example")
    as_viewer.get(PACKAGE, HTTP_HOST="mirror.example")
    assert len(view_calls) == 2


@pytest.fixture
def three_per_minute(monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute", "anon": "3/minute"})


def test_requests_no_view_answered_do_not_use_up_the_rate_limit(client_for, viewer, package, three_per_minute):
    client = client_for(viewer, name="lost")
    assert client.get(PACKAGE).status_code == 200  # this process now knows the token: it counts ahead
    assert [client.get(f"{BASE}/nothing-here").status_code for _ in range(3)] == [404, 404, 404]
    assert client.get(PACKAGE).status_code == 200


def test_requests_refused_before_the_rate_limit_do_not_use_it_up(client_for, viewer, package, three_per_minute):
    client = client_for(viewer, name="picky")
    assert client.get(PACKAGE).status_code == 200
    assert [client.get(PACKAGE, HTTP_ACCEPT="image/png").status_code for _ in range(3)] == [406, 406, 406]
    assert client.get(PACKAGE).status_code == 200
