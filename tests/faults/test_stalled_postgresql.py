"""PostgreSQL stops answering on a connection that is already open (registry/postgresql/base.py).

The server's statement timeout cannot end such a wait: the server answers nothing, that included. A real
TCP proxy in front of the test database (``StallingProxy``, tests/faults/hung.py) relays, then stalls: it
still accepts bytes and never answers, as a hung server or a hung proxy does. Each wait ends after the
connection's client timeout (1 s here) with ``OperationalError``, Django drops the broken connection, and
once the proxy relays again the next use connects anew. ``answered`` fails a wait that never ends.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, connections, transaction

from registry.models import Organization
from tests.faults.conftest import answered

pytestmark = pytest.mark.postgres


def test_a_query_on_an_open_connection_to_a_server_that_stopped_answering_raises_operational_error(
    through_stalling_proxy, stalling_postgresql
):
    assert not Organization.objects.using(through_stalling_proxy).exists()  # opens the connection
    stalling_postgresql.stall()

    with pytest.raises(OperationalError):
        answered(lambda: Organization.objects.using(through_stalling_proxy).exists())


def test_the_connection_that_timed_out_is_dropped_and_the_next_query_reconnects_once_the_server_answers(
    through_stalling_proxy, stalling_postgresql
):
    assert not Organization.objects.using(through_stalling_proxy).exists()
    stalling_postgresql.stall()
    with pytest.raises(OperationalError):
        answered(lambda: Organization.objects.using(through_stalling_proxy).exists())
    connections[through_stalling_proxy].close_if_unusable_or_obsolete()  # what Django does after each request
    stalling_postgresql.resume()

    assert not Organization.objects.using(through_stalling_proxy).exists()


def test_a_commit_to_a_server_that_stopped_answering_raises_operational_error(
    through_stalling_proxy, stalling_postgresql
):
    def commit_after_the_server_stalls():
        with transaction.atomic(using=through_stalling_proxy):
            Organization.objects.using(through_stalling_proxy).exists()
            stalling_postgresql.stall()

    with pytest.raises(OperationalError):
        answered(commit_after_the_server_stalls)


def test_the_next_chunk_of_a_server_side_cursor_from_a_server_that_stopped_answering_raises_operational_error(
    through_stalling_proxy, stalling_postgresql
):
    rows = ContentType.objects.using(through_stalling_proxy).iterator(chunk_size=1)
    next(rows)
    stalling_postgresql.stall()

    with pytest.raises(OperationalError):
        answered(lambda: next(rows))


def test_the_health_check_of_a_kept_connection_to_a_server_that_stopped_answering_fails_it(
    through_stalling_proxy, stalling_postgresql
):
    connection = connections[through_stalling_proxy]
    connection.ensure_connection()
    stalling_postgresql.stall()

    assert not answered(connection.is_usable)


def test_a_request_on_a_kept_connection_after_postgresql_stopped_answering_is_503_and_the_process_recovers(
    registry_through_stalling_proxy, stalling_postgresql
):
    server = registry_through_stalling_proxy
    auth = {"Authorization": f"Bearer {server.token}"}
    assert server.get("/api/v0/organizations", headers=auth).status == 200  # the thread keeps this connection
    stalling_postgresql.stall()

    stalled = answered(lambda: server.get("/api/v0/organizations", headers=auth))
    assert stalled.status == 503
    assert stalled.json()["code"] == "DATABASE_UNAVAILABLE"
    assert server.get("/healthz").status == 200

    stalling_postgresql.resume()
    assert server.get("/api/v0/organizations", headers=auth).status == 200
