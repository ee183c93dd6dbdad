"""The two error envelopes, chosen by URL prefix.

v0 (Credible): ``{"code", "message", "details"}``. v1 (Metabind): ``{"error": {"code", "message", "details"}}``.
"""

from typing import Any

V1_PREFIX = "/v1/"
API_PREFIXES = ("/api/", V1_PREFIX)


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def error_body(path: str, code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    if path.startswith(V1_PREFIX):
        return {"error": {"code": code, "message": message, "details": details or {}}}
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return body


def error_body_for_either_surface(code: str, message: str) -> dict[str, Any]:
    """Both envelopes' fields in one body, for a refusal given before the request's path was read."""
    return {**error_body("/api/", code, message), **error_body(V1_PREFIX, code, message)}
