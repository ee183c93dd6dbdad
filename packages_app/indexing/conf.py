"""Indexing settings, each overridable in Django settings and defaulting from the environment."""

import os

from django.conf import settings

DEFAULTS = {
    # Versions still ``unknown`` this long after their last change were never enqueued (broker down).
    "INDEX_SWEEP_UNKNOWN_AFTER_SECONDS": 60,
    # How many versions one sweeper run handles at most.
    "INDEX_SWEEP_BATCH_SIZE": 200,
    # The sweeper's no-overlap lock expires on its own after this long.
    "INDEX_SWEEP_LOCK_SECONDS": 300,
    # How often celery beat runs the sweeper.
    "INDEX_SWEEP_INTERVAL_SECONDS": 30,
    # Claims abandoned (worker died or hit the hard time limit) this many times fail the version for good.
    "INDEX_MAX_ATTEMPTS": 5,
    # How often a worker indexing a version refreshes its claim's heartbeat.
    "INDEX_HEARTBEAT_SECONDS": 5,
    # A claim whose heartbeat is older than this belongs to a process that died: another task takes it.
    "INDEX_CLAIM_STALE_SECONDS": 20,
    # Injectable slowness (seconds) after the claim, on a version's first attempt only, for the
    # worker-crash tests (the attempt they kill is slow, the one that takes over is not). Never set in
    # production.
    "REGISTRY_INDEXING_DELAY_SECONDS": 0,
}


def setting(name: str) -> float:
    if hasattr(settings, name):
        return getattr(settings, name)
    raw = os.environ.get(name)
    return float(raw) if raw else DEFAULTS[name]
