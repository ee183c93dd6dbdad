"""The database watchdog (registry/postgresql/watchdog.py) on plain socket pairs: no database needed.

A socket whose peer never writes stands for a server that never answers; ``recv`` returning ``b""`` is
the wait ending because the watchdog shut the socket down. Each ``recv`` has a generous timeout, so a
watchdog that does not act fails the test instead of hanging it.
"""

import socket

import pytest

from registry.postgresql.watchdog import Watchdog

NEVER_SECONDS = 20  # far above every deadline armed here


@pytest.fixture
def watchdog():
    return Watchdog()


@pytest.fixture
def socket_pairs():
    """``pair()`` makes a connected (waiting end, peer end) socket pair, closed after the test."""
    made: list[socket.socket] = []

    def pair() -> tuple[socket.socket, socket.socket]:
        waiting, peer = socket.socketpair()
        waiting.settimeout(NEVER_SECONDS)
        made.extend((waiting, peer))
        return waiting, peer

    yield pair
    for sock in made:
        sock.close()


def test_a_wait_past_its_deadline_ends_as_if_the_peer_had_closed(watchdog, socket_pairs):
    waiting, _peer = socket_pairs()
    watch = watchdog.watch("test")  # its owner (a connection) holds it: the watchdog keeps a weak reference
    watchdog.arm(watch, waiting.fileno(), 0.1)

    assert waiting.recv(1) == b""


def test_a_wait_disarmed_before_its_deadline_keeps_its_socket(watchdog, socket_pairs):
    waiting, peer = socket_pairs()
    answered_in_time = watchdog.watch("answered")
    watchdog.arm(answered_in_time, waiting.fileno(), 0.1)
    watchdog.disarm(answered_in_time)
    later, _ = socket_pairs()
    later_watch = watchdog.watch("later")
    watchdog.arm(later_watch, later.fileno(), 0.3)
    assert later.recv(1) == b""  # the watchdog has run past the first deadline

    peer.sendall(b"x")
    assert waiting.recv(1) == b"x"


def test_a_short_deadline_armed_while_the_watchdog_sleeps_toward_a_long_one_still_ends_in_time(watchdog, socket_pairs):
    long_wait, _ = socket_pairs()
    long_watch = watchdog.watch("long")
    watchdog.arm(long_watch, long_wait.fileno(), 10 * NEVER_SECONDS)
    first, _ = socket_pairs()
    first_watch = watchdog.watch("first")
    watchdog.arm(first_watch, first.fileno(), 0.1)
    assert first.recv(1) == b""  # the watchdog has looked again, and now sleeps until the long deadline
    short_wait, _ = socket_pairs()
    short_watch = watchdog.watch("short")
    watchdog.arm(short_watch, short_wait.fileno(), 0.1)

    assert short_wait.recv(1) == b""
