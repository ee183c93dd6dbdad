"""A Redis that accepts connections and never answers costs a request a bounded wait, never a thread for good.

The broker here is a real listener on 127.0.0.1 that takes connections and stays silent (tests/faults/hung.py).
Before every wait was bounded, a publish on it never returned and ``/readyz`` hung for over 40 s.
"""

import pytest

from packages_app.models import IndexStatus, Version
from tests.api_v0.conftest import upload
from tests.faults.conftest import answered

pytestmark = pytest.mark.django_db


def test_a_publish_while_the_broker_hangs_answers_201_and_leaves_indexing_to_the_sweeper(
    as_modeler, package, hung_broker, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        response = answered(lambda: upload(as_modeler, version="1.0.0"))

    assert response.status_code == 201
    version = Version.objects.get(package=package)
    assert version.index_status == IndexStatus.UNKNOWN  # the sweeper enqueues it once the broker answers
    assert hung_broker.accepted >= 1  # the publish did reach the hung broker
    assert f"the broker has not taken indexing of version {version.id} yet" in caplog.text


def test_readyz_names_the_hung_broker_as_a_timeout_and_the_rest_as_ok(client, hung_broker):
    response = answered(lambda: client.get("/readyz"))

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"] == {"status": "fail", "error": "timeout"}
    assert checks["database"]["status"] == "ok"
    assert checks["storage"]["status"] == "ok"


def test_readyz_shows_no_address_of_a_broker_that_refuses(client, settings, broker_at):
    with broker_at("redis://127.0.0.1:1/0"):  # nothing listens on port 1
        response = client.get("/readyz")

    assert response.json()["checks"]["broker"] == {"status": "fail", "error": "connection refused"}
    assert "127.0.0.1" not in response.content.decode()


def test_healthz_stays_green_while_the_broker_hangs(client, hung_broker):
    response = answered(lambda: client.get("/healthz"))
    assert response.status_code == 200
