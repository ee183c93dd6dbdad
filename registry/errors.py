"""The one exception type for domain errors.

Services raise :class:`RegistryError` with a machine-readable code, a sentence for people, optional
details and the HTTP status it maps to. Each API surface renders it in its own envelope
(see ``registry.api.exceptions``).
"""

from typing import Any


class RegistryError(Exception):
    def __init__(self, code: str, message: str, *, status: int = 400, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}

    def __repr__(self) -> str:
        return f"RegistryError({self.code!r}, {self.message!r}, status={self.status})"


def not_found(resource_type: str, resource_id: str) -> RegistryError:
    return RegistryError(
        "NOT_FOUND",
        f"{resource_type} '{resource_id}' was not found",
        status=404,
        details={"resourceType": resource_type, "resourceId": resource_id},
    )


def validation_failed(
    field: str, message: str, *, fields: dict[str, list[str]] | None = None, **extra: Any
) -> RegistryError:
    """400 VALIDATION_FAILED in the documented shape: ``details.fields`` maps each field to its messages.

    ``field``/``message`` is the first problem (it makes the message); ``fields`` gives every problem when
    there are several; ``extra`` adds context beside them (``allowed``, ``provided``...).
    """
    return RegistryError(
        "VALIDATION_FAILED",
        f"{field}: {message}",
        status=400,
        details={**extra, "fields": fields or {field: [message]}},
    )
