"""What the client-side deadline on PostgreSQL waits (registry/postgresql/base.py) costs per query, in CPU.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/query_deadline.py
    ... python bench/query_deadline.py --queries 20000 --rounds 7

Two connections to the same server, Django's own backend and ours (the watchdog armed and disarmed
around every statement), run the same ``SELECT 1`` through Django's cursor in alternating rounds; each
figure is the median over rounds of process CPU time (``time.process_time``, the watchdog thread's
included) per query. A round trip to PostgreSQL is the cheapest statement there is, so the difference is
the deadline's whole cost, not a share of a heavier query's. As that difference is within the noise of a
round trip on a busy machine, the wrapper alone is timed too, around a statement that answers at once.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable as a script from anywhere
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def cpu_per_query(connection, queries: int) -> float:
    with connection.cursor() as cursor:
        started = time.process_time()
        for _ in range(queries):
            cursor.execute("SELECT 1")
        return (time.process_time() - started) / queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=10_000, help="statements per round and backend")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://... (the deadline is PostgreSQL's)")

    import django

    django.setup()
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper as DjangosWrapper

    from registry.postgresql.base import DatabaseWrapper as BoundedWrapper
    from registry.postgresql.watchdog import watchdog

    settings_dict = connections["default"].settings_dict
    backends = {
        "Django's backend": DjangosWrapper({**settings_dict, "OPTIONS": {**settings_dict["OPTIONS"]}}, "plain"),
        "with the deadline": BoundedWrapper({**settings_dict, "OPTIONS": {**settings_dict["OPTIONS"]}}, "bounded"),
    }
    print(f"client timeout {backends['with the deadline'].client_timeout} s; {args.queries} x SELECT 1 per round")
    samples: dict[str, list[float]] = {name: [] for name in backends}
    for _ in range(args.rounds):
        for name, connection in backends.items():
            samples[name].append(cpu_per_query(connection, args.queries))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, median in medians.items():
        print(
            f"{name:>18}: {median * 1e6:7.2f} us CPU per query (rounds: {min(samples[name]) * 1e6:.2f} to {max(samples[name]) * 1e6:.2f})"
        )
    plain, bounded = medians.values()
    print(f"{'difference':>18}: {(bounded - plain) * 1e6:+7.2f} us per query")

    # The same cost without the network's noise: the wrapper around a statement that answers at once.
    bounded = backends["with the deadline"]
    bounded.ensure_connection()
    calls = 200_000

    def answer_at_once(sql, params, many, context):
        return None

    started = time.process_time()
    for _ in range(calls):
        answer_at_once("SELECT 1", None, False, {})
    bare = time.process_time() - started
    started = time.process_time()
    for _ in range(calls):
        bounded.answered_within_deadline(answer_at_once, "SELECT 1", None, False, {})
    wrapped = time.process_time() - started
    print(f"{'the wrapper alone':>18}: {(wrapped - bare) / calls * 1e6:7.2f} us CPU per statement")
    watch = watchdog.watch("bench")
    started = time.process_time()
    for _ in range(calls):
        watchdog.arm(watch, 0, 60)
        watchdog.disarm(watch)
    print(f"{'of which arm+disarm':>18}: {(time.process_time() - started) / calls * 1e6:7.2f} us CPU")
    for connection in backends.values():
        connection.close()


if __name__ == "__main__":
    main()
