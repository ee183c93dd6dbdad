"""What this process keeps between requests, under a generation of the shared cache.

Every API request starts with the same lookups: the caller's token, the caller's grants and the project
named in its path. They change rarely, and each costs about half a millisecond of ORM work and a
database round trip. A :class:`GenerationMemo` keeps such a value in this process, keyed by the global
read-cache generation the request read anyway (``registry.api.read_cache.generations``), for at most
``REGISTRY_READ_CACHE_SECONDS``.

Every write that changes access (grants, group membership, tokens, organizations, projects, package
deletes, and anything saved in the staff admin) bumps that generation once it commits, so the next
request of every process looks again. A write committed while its bump could not reach the cache is
seen at the latest when the entry expires. With the read cache off (``REGISTRY_READ_CACHE_SECONDS=0``),
nothing is kept.
"""

import pickle
import time
from typing import Any

from django.conf import settings


class GenerationMemo:
    """A bounded map of key -> value, each valid for one generation and for a limited time.

    Values are stored pickled and unpickled on each hit, so no two requests (threads) share an object.
    """

    def __init__(self, max_entries: int = 10_000):
        self.max_entries = max_entries
        self._entries: dict[Any, tuple[int, float, bytes]] = {}

    def get(self, key, generation: int | None) -> Any | None:
        if generation is None:
            return None
        kept = self._entries.get(key)
        if kept is None or kept[0] != generation or kept[1] <= time.monotonic():
            return None
        return pickle.loads(kept[2])

    def put(self, key, generation: int | None, value) -> None:
        lifetime = settings.REGISTRY_READ_CACHE_SECONDS
        if generation is None or lifetime <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude, and rare: a full memo starts over
        self._entries[key] = (generation, time.monotonic() + lifetime, pickle.dumps(value))

    def clear(self) -> None:
        self._entries.clear()


def access_changed() -> None:
    """Once the current transaction commits, make every memo, cached token and cached read stale.

    For writes that change who may do what, or what a name in a path refers to: grants, group
    membership, tokens, organizations, projects, package deletes. (Staff-admin writes need no call:
    the read cache's middleware bumps the same generation after each of them.)
    """
    from django.db import transaction

    from registry.api.read_cache import invalidate

    transaction.on_commit(invalidate)  # no argument: the global generation
