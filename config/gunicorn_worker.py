"""gunicorn's threaded worker, answering the requests gunicorn refuses itself in the API's envelope.

gunicorn refuses some requests before the application runs, or when reading their body fails: a malformed
request line or header (400), too many or too large header fields (431), a transfer coding it does not
know (501), a chunked body whose framing breaks (400). It answers those with an HTML page.
``ApiEnvelopeWorker`` keeps gunicorn's choice of status and its log lines and replaces only the page,
through ``handle_error``, the worker's public method for these answers:

- when gunicorn has the request's path (its request object came with the error): that surface's envelope
  on ``/api/`` and ``/v1/``, plain text elsewhere, as registry.request_framing answers;
- when it has not (most header errors do not say which request they belong to): one JSON body with both
  envelopes' fields, so a v0 client finds ``code`` and a v1 client ``error.code``.

Every answer carries an ``X-Request-ID`` (the client's when it is known and safe to log) and closes the
connection, as gunicorn's does.
"""

import json
import socket
from http import HTTPStatus

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from registry.api.envelopes import error_body, error_body_for_either_surface, is_api_path
from registry.request_id import REQUEST_ID_HEADER, choose_request_id

CODES = {
    400: "MALFORMED_REQUEST",
    403: "FORBIDDEN",
    414: "URI_TOO_LONG",
    417: "EXPECTATION_FAILED",
    431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
    500: "INTERNAL_ERROR",
    501: "UNSUPPORTED_TRANSFER_CODING",  # gunicorn's only 501
}
INTERNAL_ERROR = "An unexpected error occurred. It has been logged."
QUOTED_CHARS = 300  # how much of gunicorn's description (which quotes the request) goes in a message


class ApiEnvelopeWorker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        status = self.status_gunicorn_chose(req, addr, exc)
        request = req if req is not None else getattr(exc, "req", None)  # a request object, a string or None
        path = getattr(request, "path", None)
        incoming = next((value for name, value in getattr(request, "headers", ()) if name == "X-REQUEST-ID"), "")
        code = CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "MALFORMED_REQUEST")
        if status == 431:
            message = (
                f"The request has more than {self.cfg.limit_request_fields} header fields, or one longer than "
                f"{self.cfg.limit_request_field_size} bytes."
            )
        elif status >= 500 and status != 501:
            message = INTERNAL_ERROR
        else:
            message = str(exc)[:QUOTED_CHARS]

        if path is not None and not is_api_path(path):
            body, content_type = message.encode(), "text/plain; charset=utf-8"
        else:
            envelope = error_body_for_either_surface(code, message) if path is None else error_body(path, code, message)
            body, content_type = json.dumps(envelope).encode(), "application/json"
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nConnection: close\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{REQUEST_ID_HEADER}: {choose_request_id(incoming)}\r\n\r\n"
        )
        try:
            util.write_nonblock(client, head.encode("latin-1") + body)
        except Exception:
            self.log.debug("Failed to send error message.")

    def status_gunicorn_chose(self, req, addr, exc) -> int:
        """gunicorn's own handling, its page sent into a socket pair: it logs, and its status code is kept.

        (Not its reason phrase: gunicorn's 501 says "Bad Request".)
        """
        page, reader = socket.socketpair()
        with page, reader:
            super().handle_error(req, page, addr, exc)
            reader.setblocking(False)
            try:
                status_line = reader.recv(1024).split(b"\r\n", 1)[0]
            except BlockingIOError:  # gunicorn wrote nothing
                status_line = b""
        parts = status_line.split(b" ", 2)  # HTTP/1.1 431 Request Header Fields Too Large
        return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 500
