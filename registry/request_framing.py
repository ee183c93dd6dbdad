"""Refuse, in the API's envelope, requests Django would otherwise misread before any view runs.

- A body framed by ``Transfer-Encoding`` (chunked) has no ``Content-Length``; Django reads such a body as
  empty (WSGI gives it no length), so an upload sent that way would "succeed" with nothing in it. It is
  refused with ``411 LENGTH_REQUIRED`` before anything reads it.
- A request target (path and query string) longer than ``REGISTRY_MAX_REQUEST_TARGET_BYTES`` is
  ``414 URI_TOO_LONG``. gunicorn lets long request lines through to here (``limit_request_line = 0`` in
  config/gunicorn.conf.py) so that this answer, not its HTML page, is what clients get.
"""

from django.conf import settings
from django.http import HttpResponse

from registry.api.envelopes import is_api_path
from registry.api.exceptions import json_error

LENGTH_REQUIRED = "Send the request body with a Content-Length header; chunked transfer encoding is not accepted."


class RequestFramingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("HTTP_TRANSFER_ENCODING"):
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
