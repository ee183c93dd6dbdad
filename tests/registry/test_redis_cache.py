"""The shared Redis cache: one client per pool, and rate limits counted in one round trip."""

import pytest
from rest_framework.test import APIClient

from registry.throttling import TokenRateThrottle
from registry.tokens import issue_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_cache(settings, broker_url):
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "registry.cache.RegistryRedisCache", "LOCATION": broker_url}}
    cache = caches["default"]
    cache.clear()
    yield cache
    cache.clear()


def test_the_redis_cache_reuses_one_client_per_pool(redis_cache):
    client = redis_cache._cache.get_client(write=True)
    assert redis_cache._cache.get_client(write=True) is client
    redis_cache.set("k", 1)
    assert redis_cache.get("k") == 1


def test_incr_on_redis_counts_in_one_round_trip_and_refuses_a_missing_key(redis_cache, monkeypatch):
    import redis

    commands = []
    real_execute = redis.Redis.execute_command
    monkeypatch.setattr(
        redis.Redis, "execute_command", lambda self, *a, **k: commands.append(a[0]) or real_execute(self, *a, **k)
    )
    redis_cache.set("generation", 1, None)
    assert redis_cache.incr("generation") == 2
    assert redis_cache.incr("generation", 5) == 7
    assert commands == ["SET", "EVAL", "EVAL"]
    with pytest.raises(ValueError, match="not found"):
        redis_cache.incr("missing")
    assert redis_cache.get("missing") is None


@pytest.mark.urls("tests.probe_urls")
def test_rate_limits_on_redis_count_with_one_pipelined_round_trip(redis_cache, user, monkeypatch):
    import redis

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "2/minute", "anon": "2/minute"})
    pipelines = []
    real_execute = redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda self, *a, **k: pipelines.append([c[0][0] for c in self.command_stack]) or real_execute(self, *a, **k),
    )
    _, secret = issue_token(user=user, name="ci")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    statuses = [client.get("/api/v0/probe").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert pipelines == [["INCRBY", "EXPIRE"]] * 3


def test_incr_falls_back_to_two_round_trips_when_redis_refuses_scripts(redis_cache, monkeypatch):
    import redis

    def refuse(self, *args, **kwargs):
        raise redis.exceptions.ResponseError("NOPERM this user has no permissions to run the 'eval' command")

    monkeypatch.setattr(redis.Redis, "eval", refuse)
    redis_cache.set("generation", 1, None)
    assert redis_cache.incr("generation") == 2


@pytest.fixture
def redis_trips(monkeypatch):
    """Every round trip to Redis from here on, as the list of its commands."""
    import redis

    trips = []
    real_execute, real_command = redis.client.Pipeline.execute, redis.Redis.execute_command

    def execute(self, *args, **kwargs):
        trips.append([command[0][0] for command in self.command_stack])
        return real_execute(self, *args, **kwargs)

    def execute_command(self, *args, **kwargs):
        trips.append([args[0]])
        return real_command(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", execute)
    monkeypatch.setattr(redis.Redis, "execute_command", execute_command)
    return trips


@pytest.fixture
def ledger_reader(redis_cache, settings, client_for, user, project, grant):
    """A modeler's client on acme/finance/ledger, with the read cache on Redis."""
    from tests.factories import PackageFactory

    settings.REGISTRY_READ_CACHE_SECONDS = 60
    PackageFactory(project=project, name="ledger")
    grant(project, "modeler", user=user)
    return client_for(user)


LEDGER = "/api/v0/organizations/acme/projects/finance/packages/ledger"


def test_a_repeated_read_on_redis_costs_one_round_trip(ledger_reader, redis_trips):
    assert ledger_reader.get(LEDGER).status_code == 200
    assert ledger_reader.get(LEDGER).status_code == 200
    redis_trips.clear()
    assert ledger_reader.get(LEDGER).status_code == 200
    assert redis_trips == [["MGET", "INCRBY", "EXPIRE"]]


def test_a_write_on_redis_reads_generations_and_rate_in_one_round_trip_then_bumps(ledger_reader, redis_trips):
    assert ledger_reader.patch(LEDGER, {"description": "first"}, format="json").status_code == 200
    redis_trips.clear()  # the token is known in this process, and the organization has a generation
    assert ledger_reader.patch(LEDGER, {"description": "changed"}, format="json").status_code == 200
    assert redis_trips == [["MGET", "INCRBY", "EXPIRE"], ["EVAL"]]
