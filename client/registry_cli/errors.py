"""Errors the client reports, their exit codes, and how they are shown to people.

Every failure becomes a :class:`CliError` carrying the server's code (or a client-side one), its
message, its details and the exit code scripts can rely on. The exit codes are part of the client's
interface: change them only with the README table.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1  # a bug in the client, or an answer it cannot understand
    USAGE = 2  # bad command-line arguments (click's own code)
    AUTH = 3  # no server or token configured, 401, 403
    NOT_FOUND = 4  # 404
    CONFLICT = 5  # 409: version exists, dependency conflict or cycle, package in use
    INVALID = 6  # the server refused the request: 400, 413, 422
    UNAVAILABLE = 7  # network failure or 5xx/429 after all retries
    INTEGRITY = 8  # a download whose bytes do not match the server's digest
    INDEX_FAILED = 9  # publish --wait: indexing failed
    LOCAL = 10  # a package directory the client refuses to pack
    TIMEOUT = 11  # publish --wait: indexing did not finish in time


_STATUS_EXIT = {
    401: ExitCode.AUTH,
    403: ExitCode.AUTH,
    404: ExitCode.NOT_FOUND,
    409: ExitCode.CONFLICT,
    429: ExitCode.UNAVAILABLE,
}


def exit_code_for_status(status: int) -> ExitCode:
    if status in _STATUS_EXIT:
        return _STATUS_EXIT[status]
    if status >= 500:
        return ExitCode.UNAVAILABLE
    if 400 <= status < 500:
        return ExitCode.INVALID
    return ExitCode.UNEXPECTED


class CliError(Exception):
    """A failure to report as one line ``CODE: message`` (plus details) and an exit code."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        exit_code: ExitCode,
        details: dict[str, Any] | None = None,
        status: int | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.exit_code = exit_code
        self.details = details or {}
        self.status = status

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "details": self.details}
        if self.status is not None:
            body["status"] = self.status
        body["exitCode"] = int(self.exit_code)
        return {"error": body}


def error_from_response(status: int, body: Any, reason: str = "") -> CliError:
    """Read either surface's error envelope: v0 ``{code, message, details}``, v1 ``{"error": {...}}``."""
    envelope = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    if isinstance(envelope, dict) and isinstance(envelope.get("code"), str):
        details = envelope.get("details")
        return CliError(
            envelope["code"],
            str(envelope.get("message") or reason or f"HTTP {status}"),
            exit_code=exit_code_for_status(status),
            details=details if isinstance(details, dict) else {},
            status=status,
        )
    return CliError(
        f"HTTP_{status}",
        reason or "The server answered with an error and no error body",
        exit_code=exit_code_for_status(status),
        status=status,
    )


def _requirement_line(label: str, part: Any) -> str:
    if isinstance(part, dict):
        wanted = part.get("version") or part.get("range") or part.get("requirement") or ""
        by = part.get("by") or part.get("requiredBy") or part.get("parent")
        return f"{label} {wanted}" + (f" by {by}" if by else "")
    return f"{label} {part}"


def _conflict_lines(conflict: Any) -> list[str]:
    if not isinstance(conflict, dict):
        return [f"  - {conflict}"]
    lines = [f"  conflict on {conflict.get('package', '?')}:"]
    for key, value in conflict.items():
        if key == "package" or value is None:
            continue
        if key in ("required", "provided"):
            lines.append("    " + _requirement_line(key, value))
        elif isinstance(value, list):
            if value and all(isinstance(item, dict) for item in value):
                lines.append(f"    {key}:")
                lines.extend("      " + _requirement_line("-", item) for item in value)
            else:
                lines.append(f"    {key}: {', '.join(str(item) for item in value) or '(none)'}")
        else:
            lines.append(f"    {key}: {value}")
    return lines


def render_error(error: CliError) -> list[str]:
    """The lines shown for ``error``: first ``CODE: message``, then its details laid out to read."""
    lines = [f"{error.code}: {error.message}"]
    details = dict(error.details)
    conflicts = details.pop("conflicts", None)
    if isinstance(conflicts, list):
        for conflict in conflicts:
            lines.extend(_conflict_lines(conflict))
    for key in ("cycle", "path"):
        chain = details.pop(key, None)
        if isinstance(chain, list):
            lines.append(f"  {key}: " + " -> ".join(str(step) for step in chain))
    fields = details.pop("fields", None)
    if isinstance(fields, dict):
        for name, messages in fields.items():
            text = "; ".join(messages) if isinstance(messages, list) else str(messages)
            lines.append(f"  {name}: {text}")
    for key, value in details.items():
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        lines.append(f"  {key}: {value}")
    return lines
