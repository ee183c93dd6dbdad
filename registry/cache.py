"""Django's Redis cache, reusing one ``redis.Redis`` client per connection pool, with one-trip counters.

Django's client builds a new ``redis.Redis`` on every cache call; redis-py fills a table of some 170
response callbacks in each constructor, which cost more than the round trip itself (about 0.2 ms a call,
seven calls a request on the API read path). A ``redis.Redis`` is safe to share between threads: it
takes a connection from its pool for each command.

Django's ``incr`` asks ``EXISTS`` and then ``INCRBY``: two round trips, on every write request (the read
cache's generation bump). A short script does both in Redis, in one, with the same contract.

A round trip through redis-py costs about 0.1 ms, an eighth of a cached read, so what a request asks
the cache first (generations, a cached answer, its rate counter) goes in one pipeline:
:func:`get_many_and_count`, with a plain fallback for every other cache backend.
"""

import contextlib
import logging
import time

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

# What a shared cache that cannot be reached raises. On the request path it costs only speed: callers
# catch these, say so in the log (see :func:`unreachable`) and carry on without the cache.
UNREACHABLE = (redis.exceptions.RedisError, OSError)


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client

    # INCRBY only an existing key (Django's incr raises ValueError for a missing one); nil otherwise.
    INCR_EXISTING = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end"

    def incr(self, key, delta):
        try:
            value = self.get_client(key, write=True).eval(self.INCR_EXISTING, 1, key, delta)
        except redis.exceptions.ResponseError:  # scripting refused (an ACL, a proxy): Django's two trips
            return super().incr(key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def get_many_and_count(self, keys: list[str], counter: str | None, timeout: int) -> tuple[list, int | None]:
        """GET each key and INCR ``counter`` (renewing its expiry), in one round trip.

        No MULTI/EXEC: each command is atomic on its own, and a counter left without its expiry would
        need a crash between two commands sent in one packet.
        """
        pipeline = self.get_client(write=True).pipeline(transaction=False)
        if keys:
            pipeline.mget(keys)
        if counter is not None:
            pipeline.incr(counter)
            pipeline.expire(counter, timeout)
        results = pipeline.execute()
        values = [None if raw is None else self._serializer.loads(raw) for raw in results[0]] if keys else []
        return values, (int(results[-2]) if counter is not None else None)


class RegistryRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def get_many_and_count(self, keys, counter, timeout):
        raw_keys = [self.make_and_validate_key(key) for key in keys]
        raw_counter = self.make_and_validate_key(counter) if counter is not None else None
        values, count = self._cache.get_many_and_count(raw_keys, raw_counter, timeout)
        return {key: value for key, value in zip(keys, values, strict=True) if value is not None}, count


def get_many_and_count(keys: list[str], counter: str | None = None, timeout: int = 60) -> tuple[dict, int | None]:
    """The cached values of ``keys`` (as ``cache.get_many``), and ``counter`` incremented by one.

    The counter starts at 1 when missing and lives at least ``timeout`` seconds (on Redis, from its latest
    count); None when no counter is asked for. One round trip on Redis, whatever is asked.
    """
    backend = caches["default"]  # the backend itself: ``django.core.cache.cache`` is a proxy
    if isinstance(backend, RegistryRedisCache):
        return backend.get_many_and_count(keys, counter, timeout)
    values = backend.get_many(keys) if keys else {}
    if counter is None:
        return values, None
    backend.add(counter, 0, timeout)
    try:
        return values, backend.incr(counter)
    except ValueError:  # expired between add and incr: this count opens it
        backend.set(counter, 1, timeout)
        return values, 1


def count(counter: str, timeout: int) -> int:
    """``counter`` incremented by one (see :func:`get_many_and_count`)."""
    return get_many_and_count([], counter, timeout)[1]


def uncount(counter: str) -> None:
    """Take back one count of ``counter`` (a count taken ahead for a request that never used it)."""
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
        caches["default"].decr(counter)


# A cache that just failed is left alone for a few seconds: a Redis that hangs rather than refuses would
# otherwise cost every request a socket timeout per call. (Monotonic times; one process's view.)
OUTAGE_BACKOFF_SECONDS = 5
_outage = {"until": 0.0, "warned": float("-inf")}


def unreachable(doing: str) -> None:
    """Record that the shared cache could not be reached, and log it at most once per 10 seconds.

    Call it from an ``except UNREACHABLE`` block (the warning carries the traceback). For
    ``OUTAGE_BACKOFF_SECONDS`` after it, :func:`in_outage` is true and request-path callers skip the cache.
    """
    now = time.monotonic()
    _outage["until"] = now + OUTAGE_BACKOFF_SECONDS
    if now - _outage["warned"] >= 10:
        _outage["warned"] = now
        logger.warning("the shared cache is unreachable (%s); carrying on without it", doing, exc_info=True)


def in_outage() -> bool:
    """Whether the shared cache failed in this process within the last ``OUTAGE_BACKOFF_SECONDS``."""
    return time.monotonic() < _outage["until"]


def forget_outage() -> None:
    """Try the shared cache again on the next call, and log its next failure (tests, or a shell once
    Redis is known to be back)."""
    _outage["until"] = 0.0
    _outage["warned"] = float("-inf")
