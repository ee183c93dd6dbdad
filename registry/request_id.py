"""Request ids: honour or mint ``X-Request-ID``, echo it, put it on every log line and on tasks.

The id lives in a context variable so log records and Celery task headers can read it without being
handed the request.
"""

import contextvars
import logging
import re
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def choose_request_id(incoming: str) -> str:
    """The client's ``X-Request-ID`` when it is safe to log verbatim, else a new one."""
    return incoming if _VALID.match(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = choose_request_id(request.headers.get(REQUEST_ID_HEADER, ""))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


def attach_request_id_to_task(headers=None, **kwargs) -> None:
    """celery ``before_task_publish``: carry the current request id to the worker."""
    if headers is not None and "request_id" not in headers:
        headers["request_id"] = current_request_id.get()


def adopt_request_id_in_worker(task=None, **kwargs) -> None:
    """celery ``task_prerun``: log lines of the task carry the id of the request that caused it."""
    request_id = getattr(getattr(task, "request", None), "request_id", None)
    current_request_id.set(request_id or "-")
