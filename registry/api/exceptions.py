"""One DRF exception handler for both surfaces: every error leaves in its surface's envelope."""

import errno
import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from registry.api.envelopes import error_body
from registry.errors import RegistryError

logger = logging.getLogger("registry.api")

_CODES = {
    exceptions.NotAuthenticated: "UNAUTHENTICATED",
    exceptions.AuthenticationFailed: "UNAUTHENTICATED",
    exceptions.PermissionDenied: "FORBIDDEN",
    exceptions.NotFound: "NOT_FOUND",
    exceptions.MethodNotAllowed: "METHOD_NOT_ALLOWED",
    exceptions.NotAcceptable: "NOT_ACCEPTABLE",
    exceptions.UnsupportedMediaType: "UNSUPPORTED_MEDIA_TYPE",
    exceptions.Throttled: "RATE_LIMITED",
    exceptions.ParseError: "MALFORMED_REQUEST",
    exceptions.ValidationError: "VALIDATION_FAILED",
}


def _flatten_validation(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field.sub": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key in ("non_field_errors", "__all__"):  # DRF's and Django's names for "the whole object"
                name = prefix or "body"
            out.update(_flatten_validation(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "body"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten_validation(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "body"] = [str(detail)]
    return out


def _unavailable_dependency(exc) -> tuple[str, str, int] | None:
    """A full disk or an unreachable database is the environment failing, not a bug: say so and when to retry."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "INSUFFICIENT_STORAGE", "The server has no room to store this right now; try again later.", 507
    if isinstance(exc, (OperationalError, InterfaceError)):
        return "DATABASE_UNAVAILABLE", "The database is unavailable right now; try again later.", 503
    return None


def registry_exception_handler(exc, context):
    request = context.get("request")
    path = request.path if request is not None else ""
    headers: dict[str, str] = {}

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(path, "PAYLOAD_TOO_LARGE", "The request body is larger than this endpoint accepts."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, SuspiciousOperation):  # too many fields, a malformed multipart body...
        exc = exceptions.ValidationError({"body": [str(exc) or "The request could not be read."]})
    elif isinstance(exc, DjangoValidationError):  # a model check no earlier validation caught: still the caller's input
        exc = exceptions.ValidationError(getattr(exc, "message_dict", None) or {"body": exc.messages})

    if isinstance(exc, RegistryError):
        body = error_body(path, exc.code, exc.message, exc.details)
        return Response(body, status=exc.status)

    if isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), "ERROR")
        details: dict = {}
        if isinstance(exc, exceptions.ValidationError):
            fields = _flatten_validation(exc.detail)
            details = {"fields": fields}
            first_field, first_messages = next(iter(fields.items()), ("body", ["Invalid input."]))
            message = f"{first_field}: {first_messages[0]}"
        else:
            message = str(exc.detail)
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(exc.wait))
            details = {"retryAfter": int(exc.wait)}
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            view = context.get("view")
            if view is not None and not headers.get("WWW-Authenticate"):
                header = view.get_authenticate_header(request)
                if header:
                    headers["WWW-Authenticate"] = header
            status_code = status.HTTP_401_UNAUTHORIZED
        else:
            status_code = exc.status_code
        return Response(error_body(path, code, message, details), status=status_code, headers=headers)

    unavailable = _unavailable_dependency(exc)
    if unavailable is not None:
        code, message, status_code = unavailable
        logger.error("%s on %s: %s", code, path, exc, exc_info=exc)
        return Response(error_body(path, code, message), status=status_code, headers={"Retry-After": "30"})

    logger.exception("Unhandled error on %s", path, exc_info=exc)
    return Response(
        error_body(path, "INTERNAL_ERROR", "An unexpected error occurred. It has been logged."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_error(request, code: str, message: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(request.path, code, message), status=status_code)
