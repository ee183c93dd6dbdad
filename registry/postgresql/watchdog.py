"""One thread per process that ends a wait on a socket once it outlives its deadline.

A database connection that waits for an answer arms its ``Watch`` with the socket's file descriptor and
a number of seconds, and disarms it when the answer came. If the deadline passes first, the watchdog
shuts the socket down (both directions): the blocked client sees the connection end and raises at once,
as it would if the server had closed it. Shutting a socket down, unlike closing it, leaves the descriptor
to its owner, which closes it as usual.

One thread serves every connection of the process. It sleeps until the earliest armed deadline (or, with
none armed, until one is), so arming and disarming cost a lock and two assignments, and the thread wakes
about once per deadline under load, not once per query. Arming, disarming and shutting down happen under
one lock: once ``disarm`` returns the watchdog cannot touch the descriptor, which its owner may then close
and the system hand to another socket.
"""

import contextlib
import logging
import os
import socket
import threading
import time
import weakref

logger = logging.getLogger(__name__)


class Watch:
    """One connection's wait: at most one armed at a time."""

    __slots__ = ("__weakref__", "deadline", "fileno", "label", "seconds")

    def __init__(self, label: str) -> None:
        self.label = label
        self.deadline: float | None = None  # time.monotonic() after which the wait is ended; None: not armed
        self.fileno = -1
        self.seconds = 0.0

    @property
    def armed(self) -> bool:
        return self.deadline is not None


class Watchdog:
    def __init__(self) -> None:
        self._reset()
        self._watches: weakref.WeakSet[Watch] = weakref.WeakSet()  # a connection's watch goes with it
        os.register_at_fork(after_in_child=self._after_fork)

    def _reset(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._wake_at: float | None = None  # when the thread looks next; None: asleep until notified

    def _after_fork(self) -> None:
        # A forked child has none of its parent's threads (and maybe a lock one of them held); its inherited
        # watches belong to threads that are not there either.
        self._reset()
        for watch in self._watches:
            watch.deadline = None

    def watch(self, label: str) -> Watch:
        watch = Watch(label)
        with self._condition:
            self._watches.add(watch)
        return watch

    def arm(self, watch: Watch, fileno: int, seconds: float) -> None:
        """End the wait on ``fileno`` unless ``disarm(watch)`` comes within ``seconds``."""
        deadline = time.monotonic() + seconds
        with self._condition:
            watch.fileno, watch.seconds, watch.deadline = fileno, seconds, deadline
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="database-watchdog", daemon=True)
                self._thread.start()
            elif self._wake_at is None or deadline < self._wake_at:
                self._condition.notify()

    def disarm(self, watch: Watch) -> None:
        with self._condition:
            watch.deadline = None

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                wake_at = None
                for watch in self._watches:
                    deadline = watch.deadline
                    if deadline is None:
                        continue
                    if deadline <= now:
                        self._expire(watch)
                    elif wake_at is None or deadline < wake_at:
                        wake_at = deadline
                self._wake_at = wake_at
                self._condition.wait(None if wake_at is None else wake_at - now)

    @staticmethod
    def _expire(watch: Watch) -> None:
        watch.deadline = None
        logger.warning("%s gave no answer within %s s: dropping the connection", watch.label, watch.seconds)
        try:
            # A socket object of our own (on a copy of the descriptor) to shut the shared socket down with.
            with socket.socket(fileno=os.dup(watch.fileno)) as sock, contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        except OSError as exc:  # not a socket (any more): nothing to end
            logger.warning("could not drop %s: %s", watch.label, exc)


watchdog = Watchdog()
