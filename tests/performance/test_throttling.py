"""Rate limits cost one atomic counter per request, whatever the rate."""

import pytest
from django.core.cache import cache

from registry.models import ApiToken
from registry.throttling import TokenRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_minute(monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute", "anon": "3/minute"})


def test_the_request_past_the_rate_is_429_with_the_seconds_left_in_the_window(
    client_for, user, three_per_minute, monkeypatch
):
    # A fixed clock, 40 s into a minute: the four requests cannot straddle two windows on a slow machine.
    monkeypatch.setattr(TokenRateThrottle, "timer", lambda self: 1_000_000.0)
    client = client_for(user)
    statuses = [client.get("/api/v0/organizations").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    last = client.get("/api/v0/organizations")
    assert last["Retry-After"] == "20"


def test_a_busy_tokens_bucket_is_one_counter_not_a_log_of_its_requests(client_for, user, monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "1000/minute", "anon": "10/minute"})
    monkeypatch.setattr(TokenRateThrottle, "timer", lambda self: 1_000_000.0)  # one window for all 20
    client = client_for(user)
    for _ in range(20):
        client.get("/api/v0/organizations")
    token = ApiToken.objects.get(user=user)
    bucket = TokenRateThrottle.cache_format % {"scope": "token", "ident": f"token-{token.pk}"}
    assert cache.get(f"{bucket}:{1_000_000 // 60}") == 20  # this minute's counter
    assert cache.get(bucket) is None  # no log of request times (DRF's default keeps one under the bare key)


def test_the_next_window_starts_a_fresh_count(client_for, user, three_per_minute, monkeypatch):
    client = client_for(user)
    clock = {"now": 1_000_000.0}
    monkeypatch.setattr(TokenRateThrottle, "timer", lambda self: clock["now"])
    assert [client.get("/api/v0/organizations").status_code for _ in range(4)][-1] == 429
    clock["now"] += 60
    assert client.get("/api/v0/organizations").status_code == 200
