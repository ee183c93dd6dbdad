"""Bodies without a length, and request lines too long, handled before any view runs.

- A body framed by ``Transfer-Encoding`` (chunked) has no ``Content-Length``, and Django reads a body
  without one as empty: an upload sent that way used to "succeed" with nothing in it. Where the server
  de-chunks the body and marks its end (gunicorn sets ``wsgi.input_terminated``), ``TerminatedBodyWithLength``
  spools it and hands Django its length, so it is processed like any other; where it cannot (Django's
  development server), it is refused with ``411 LENGTH_REQUIRED`` before anything reads it. A spooled body
  over the upload limit is ``413 PAYLOAD_TOO_LARGE``. Only ``chunked`` alone is accepted: gunicorn passes
  ``gzip, chunked`` (and ``deflate``, ``compress``) through still compressed, so any other coding is
  ``501 UNSUPPORTED_TRANSFER_CODING``, as gunicorn answers the codings it does not know.
- A request target (path and query string) longer than ``REGISTRY_MAX_REQUEST_TARGET_BYTES`` is
  ``414 URI_TOO_LONG``. gunicorn lets long request lines through to here (``limit_request_line = 0`` in
  config/gunicorn.conf.py) so that this answer, not its HTML page, is what clients get.
"""

import tempfile

from django.conf import settings
from django.http import HttpResponse

from registry.api.envelopes import is_api_path
from registry.api.exceptions import json_error

LENGTH_REQUIRED = "Send the request body with a Content-Length header; chunked transfer encoding is not accepted."
UNSUPPORTED_TRANSFER_CODING = (
    "Unsupported transfer coding: {coding!r}. Send the body with Content-Length, or Transfer-Encoding: chunked alone."
)
BODY_TOO_LARGE = "registry.body_too_large"  # set in the WSGI environ by TerminatedBodyWithLength
SPOOL_CHUNK = 1024 * 1024


def is_chunked_alone(transfer_encoding: str) -> bool:
    return transfer_encoding.strip(" \t").lower() == "chunked"


class TerminatedBodyWithLength:
    """WSGI wrapper: give Django the length of a chunked body the server has already de-chunked.

    Only where the server promises the input ends with the body (``wsgi.input_terminated``); the body goes
    to a temporary file (in memory while small), at most the upload limit plus room for the other parts.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if (
            is_chunked_alone(environ.get("HTTP_TRANSFER_ENCODING", ""))
            and not environ.get("CONTENT_LENGTH")
            and environ.get("wsgi.input_terminated")
        ):
            limit = settings.REGISTRY_MAX_UPLOAD_BYTES + SPOOL_CHUNK
            spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (it outlives this block: Django reads it)
                max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, dir=settings.FILE_UPLOAD_TEMP_DIR
            )
            size = 0
            while chunk := environ["wsgi.input"].read(SPOOL_CHUNK):
                size += len(chunk)
                if size > limit:
                    spool.close()
                    environ[BODY_TOO_LARGE] = limit
                    break
                spool.write(chunk)
            else:
                spool.seek(0)
                environ["wsgi.input"] = spool  # closed (and removed) with the environ after the response
                environ["CONTENT_LENGTH"] = str(size)
                del environ["HTTP_TRANSFER_ENCODING"]
        return self.application(environ, start_response)


class RequestFramingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get(BODY_TOO_LARGE):
            message = f"The request body is larger than the {settings.REGISTRY_MAX_UPLOAD_BYTES} byte upload limit."
            return self._refuse(request, "PAYLOAD_TOO_LARGE", message, 413)
        if coding := request.META.get("HTTP_TRANSFER_ENCODING"):
            if not is_chunked_alone(coding):
                message = UNSUPPORTED_TRANSFER_CODING.format(coding=coding)
                return self._refuse(request, "UNSUPPORTED_TRANSFER_CODING", message, 501)
            return self._refuse(request, "LENGTH_REQUIRED", LENGTH_REQUIRED, 411)
        limit = settings.REGISTRY_MAX_REQUEST_TARGET_BYTES
        target = len(request.META.get("PATH_INFO", "").encode()) + len(request.META.get("QUERY_STRING", "").encode())
        if target > limit:
            message = f"The request's path and query string are longer than the {limit} byte limit."
            return self._refuse(request, "URI_TOO_LONG", message, 414)
        return self.get_response(request)

    @staticmethod
    def _refuse(request, code: str, message: str, status: int) -> HttpResponse:
        if is_api_path(request.path):
            return json_error(request, code, message, status)
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
