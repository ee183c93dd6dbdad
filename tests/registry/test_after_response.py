"""Task enqueues a request makes wait until its response has been sent (registry.after_response)."""

import hashlib
import io
import logging

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from packages_app import tasks
from packages_app.demo import build_malloy_archive
from packages_app.models import Version
from registry.after_response import AfterResponseMiddleware, after_response
from registry.models import Role
from registry.request_id import current_request_id
from tests.factories import make_token

PUBLISH_PATH = "/api/v0/organizations/acme/projects/finance/packages/ledger"


@pytest.fixture
def enqueued(monkeypatch):
    """Each indexing enqueue to a broker, as (version id, the request id it would carry to the worker)."""
    from config.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)  # a broker: messages, not inline runs
    calls = []
    monkeypatch.setattr(
        tasks.index_version_task, "delay", lambda version_id: calls.append((version_id, current_request_id.get()))
    )
    return calls


def publish_environ(token: str, **headers) -> dict:
    archive = build_malloy_archive("ledger", "1.0.0")
    upload = io.BytesIO(archive)
    upload.name = "package.zip"
    body = encode_multipart(
        BOUNDARY, {"version": '{"id": "1.0.0"}', "packageFile": upload, "md5Hash": hashlib.md5(archive).hexdigest()}
    )
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": PUBLISH_PATH,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": MULTIPART_CONTENT,
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        **headers,
    }


@pytest.fixture
def modeler_token(user, project, grant):
    grant(project, Role.MODELER, user=user)
    return make_token(user)


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_indexing_runs_inline_before_the_answer(modeler_token):
    body = WSGIHandler()(publish_environ(modeler_token), lambda *args: None)
    assert Version.objects.get().index_status == "indexed"  # before the server closed the response
    body.close()


def test_outside_a_request_a_deferred_call_runs_at_once():
    ran = []
    after_response(lambda: ran.append(1))
    assert ran == [1]


@pytest.mark.django_db(transaction=True)
def test_a_publish_enqueues_its_indexing_only_once_the_server_closes_the_response(modeler_token, enqueued):
    statuses = []
    body = WSGIHandler()(publish_environ(modeler_token), lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)  # the server has written every byte of the answer
    assert statuses == ["201 Created"]
    assert enqueued == []
    body.close()  # what a WSGI server does after the last byte
    assert enqueued == [(Version.objects.get().pk, enqueued[0][1])]


@pytest.mark.django_db(transaction=True)
def test_the_deferred_enqueue_carries_the_request_id(modeler_token, enqueued):
    body = WSGIHandler()(publish_environ(modeler_token, HTTP_X_REQUEST_ID="publish-42"), lambda *args: None)
    body.close()
    assert [request_id for _, request_id in enqueued] == ["publish-42"]


def respond_after(*calls):
    """AfterResponseMiddleware around a view that defers ``calls``; the response is not closed yet."""

    def view(request):
        for call in calls:
            after_response(call)
        return HttpResponse("ok")

    return AfterResponseMiddleware(view)(RequestFactory().get("/"))


@pytest.mark.django_db  # closing a response ends the request: Django then closes old connections
def test_a_failing_deferred_call_is_logged_and_the_calls_after_it_still_run(caplog):
    ran = []
    response = respond_after(lambda: 1 / 0, lambda: ran.append("second"))
    assert ran == []
    with caplog.at_level(logging.ERROR, logger="registry.after_response"):
        response.close()
    assert ran == ["second"]
    assert "failed after the response was sent" in caplog.text


def test_once_the_view_has_returned_calls_run_at_once_even_if_the_response_is_never_closed():
    ran = []
    respond_after(lambda: ran.append("kept"))  # a streamed response nobody reads, say
    after_response(lambda: ran.append("outside"))
    assert ran == ["outside"]


@pytest.mark.django_db  # closing a response ends the request: Django then closes old connections
def test_a_call_deferred_by_a_deferred_call_runs_at_once():
    ran = []
    response = respond_after(lambda: after_response(lambda: ran.append("nested")))
    response.close()
    assert ran == ["nested"]
