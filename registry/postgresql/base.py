"""Django's PostgreSQL backend with every wait for the server bounded in this process too.

The server's ``statement_timeout`` ends a query the server runs too long, but a server that stops
answering (hung, or a proxy in front of it that hangs) answers nothing, that cancellation included; nor
does a cancel request help, and TCP keepalives never fire while the peer's kernel still acknowledges.
The request thread would wait on the socket until TCP gives up, minutes later. Here each round trip on
an open connection arms the process's watchdog (``watchdog.py``): past ``CLIENT_TIMEOUT`` seconds (the
``DATABASES`` entry's, from ``DATABASE_CLIENT_TIMEOUT``; 0 or absent: unbounded) it shuts the socket down,
psycopg raises ``OperationalError`` (a ``503 DATABASE_UNAVAILABLE`` in the API), and Django drops the
connection at the end of the request, so the next one connects anew (bounded by ``connect_timeout``).

Round trips: every statement (``execute_wrapper``, so savepoints too), commit and rollback, the fetches
and close of a server-side (chunked) cursor, and the health check of a kept connection (``SELECT 1`` when
a request first uses it), which gets the connect timeout instead when that is shorter: a kept connection
that answers slower than a new one connects is better replaced than waited for.

Installed as ``ENGINE = "registry.postgresql"`` (Django's documented way to extend a backend).
"""

from django.db.backends.postgresql import base

from registry.postgresql.watchdog import watchdog


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.answer_watch = watchdog.watch(f"PostgreSQL connection {self.alias!r}")
        self.execute_wrappers.append(self.answered_within_deadline)

    @property
    def client_timeout(self) -> float:
        return float(self.settings_dict.get("CLIENT_TIMEOUT") or 0)

    def within_deadline(self, call, *args, seconds: float | None = None):
        """``call(*args)``, with the connection dropped if the server has not answered after ``seconds``."""
        seconds = self.client_timeout if seconds is None else seconds
        watch = self.answer_watch
        if not seconds or self.connection is None or watch.armed:  # unbounded, nothing open, or already armed
            return call(*args)
        try:
            fileno = self.connection.fileno()
        except self.Database.Error:  # the connection is lost: the call fails at once, with Django's error
            return call(*args)
        watchdog.arm(watch, fileno, seconds)
        try:
            return call(*args)
        finally:
            watchdog.disarm(watch)

    def answered_within_deadline(self, execute, sql, params, many, context):
        return self.within_deadline(execute, sql, params, many, context)

    def commit(self) -> None:
        self.within_deadline(super().commit)

    def rollback(self) -> None:
        self.within_deadline(super().rollback)

    def is_usable(self) -> bool:
        seconds = self.client_timeout
        connect_timeout = float(self.settings_dict["OPTIONS"].get("connect_timeout") or 0)
        if seconds and connect_timeout:
            seconds = min(seconds, connect_timeout)
        return self.within_deadline(super().is_usable, seconds=seconds)

    def chunked_cursor(self):
        return ChunkedCursor(super().chunked_cursor(), self)


class ChunkedCursor:
    """A server-side cursor (``QuerySet.iterator()``), each fetch and the close a round trip within the deadline."""

    def __init__(self, cursor, db: DatabaseWrapper) -> None:
        self.cursor = cursor
        self.db = db

    def __getattr__(self, name: str):
        return getattr(self.cursor, name)  # execute (the wrapper bounds it) and the rest

    def __iter__(self):
        while rows := self.fetchmany(self.cursor.itersize):
            yield from rows

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.db.within_deadline(self.cursor.__exit__, *exc_info)  # closes it, as Django's wrapper does

    def fetchone(self):
        return self.db.within_deadline(self.cursor.fetchone)

    def fetchmany(self, size: int | None = None):
        return self.db.within_deadline(self.cursor.fetchmany, *(() if size is None else (size,)))

    def fetchall(self):
        return self.db.within_deadline(self.cursor.fetchall)

    def close(self) -> None:
        self.db.within_deadline(self.cursor.close)
