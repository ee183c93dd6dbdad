"""Work a request starts that its client need not wait for: run once the response has been sent.

A publish enqueues its indexing task when its transaction commits. The broker round trip (a
millisecond, or a timeout when the broker is down) need not stand between the client and its answer,
so during a request :func:`after_response` keeps the call, and :class:`AfterResponseMiddleware` runs
what was kept when the server closes the response, which a WSGI server does after writing its last
byte. Anywhere else (a Celery task, a management command, a shell, and code that runs after the view
returned) the call runs at once.

A kept call runs in the context it was made in (the request id goes with the task). A response that
is never closed (a crashed worker) loses its kept calls; what enqueues tasks has a periodic sweeper
behind it.
"""

import contextvars
import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

# The calls kept by the request being handled in this context; None outside a request's view.
_kept: contextvars.ContextVar[list | None] = contextvars.ContextVar("after_response_kept", default=None)


def after_response(call: Callable[[], object]) -> None:
    """Run ``call`` once the current request's response has been sent; at once outside a request."""
    kept = _kept.get()
    if kept is None:
        call()
    else:
        kept.append((contextvars.copy_context(), call))


def _run_outside_the_request(call: Callable[[], object]) -> None:
    token = _kept.set(None)  # what the call defers in turn runs at once: the response is out
    try:
        call()
    finally:
        _kept.reset(token)


def _run(kept: list) -> None:
    for context, call in kept:
        try:
            context.run(_run_outside_the_request, call)
        except Exception:
            # The response is out; what failed is logged, and must not break the server's close.
            logger.exception("deferred call %r failed after the response was sent", call)


class AfterResponseMiddleware:
    """Keep the calls a request defers, and run them when its response is closed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        kept: list = []
        token = _kept.set(kept)
        try:
            response = self.get_response(request)
        finally:
            _kept.reset(token)  # from here on, even before the response is sent, calls run at once
        if kept:
            close = response.close

            def close_then_run_kept():
                try:
                    close()
                finally:
                    _run(kept)

            response.close = close_then_run_kept
        return response
