"""Work a request starts that its client need not wait for: run once the response has been sent.

A publish enqueues its indexing task when its transaction commits. The broker round trip (a
millisecond, or a timeout when the broker is down) need not stand between the client and its answer,
so inside a request :func:`after_response` keeps the call until the server closes the response, which
a WSGI server does after writing its last byte (Django then sends ``request_finished``). Anywhere else
(a Celery task, a management command, a shell) the call runs at once.

A kept call runs in the context it was made in (the request id goes with the task). It is never lost
to a response that is not closed: the thread's next request runs it first, and what enqueues tasks
has a periodic sweeper behind it anyway.
"""

import contextvars
import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

# Per thread: a WSGI server serves one request at a time on each of its threads.
_state = threading.local()


def after_response(call: Callable[[], object]) -> None:
    """Run ``call`` once the current request's response has been sent; at once outside a request."""
    pending = getattr(_state, "pending", None)
    if pending is None:
        call()
    else:
        pending.append((contextvars.copy_context(), call))


def _run(pending) -> None:
    for context, call in pending:
        try:
            context.run(call)
        except Exception:
            # The response is out; what failed is logged, and must not break the server's close.
            logger.exception("deferred call %r failed after the response was sent", call)


def start_collecting(**kwargs) -> None:
    """``request_started``: calls made from now on wait for this request's response."""
    leftover = getattr(_state, "pending", None)
    _state.pending = []
    if leftover:
        _run(leftover)


def run_collected(**kwargs) -> None:
    """``request_finished``: the response has been sent; run what waited for it."""
    pending = getattr(_state, "pending", None)
    _state.pending = None
    if pending:
        _run(pending)
