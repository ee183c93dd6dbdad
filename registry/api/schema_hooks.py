"""drf-spectacular post-processing: the errors every operation can answer, in its surface's envelope.

Views document the errors particular to them; the ones any request can meet (a bad parameter, a body in a media type it does not read, no or an
expired token, something not found or not readable, a rate limit, a backing service down, a full disk
for uploads) are added here once, so no operation's documentation can forget one. Views' own
descriptions are kept; only missing status codes are added.
"""

V0_ERROR = {"$ref": "#/components/schemas/V0Error"}
V1_ERROR = {"$ref": "#/components/schemas/V1Error"}

V1_ERROR_SCHEMA = {
    "type": "object",
    "description": "The v1 (Metabind) error envelope.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Machine-readable error code, e.g. VERSION_EXISTS"},
                "message": {"type": "string"},
                "details": {"type": "object", "additionalProperties": {}},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}

COMMON = {
    "400": "VALIDATION_FAILED or MALFORMED_REQUEST: a path, query or body value is not acceptable",
    "401": "UNAUTHENTICATED: missing, unknown, expired or revoked token",
    "404": "NOT_FOUND: the resource does not exist or the caller may not read it",
    "429": "RATE_LIMITED: too many requests; retry after Retry-After seconds",
    "503": "DATABASE_UNAVAILABLE or STORAGE_UNAVAILABLE: a backing service is down; retry later",
}
WRITES = {"403": "FORBIDDEN: the caller may read but not change this, or the token is read-only"}
BODIES = {
    "415": "UNSUPPORTED_MEDIA_TYPE: the body's Content-Type is not one this operation reads, or it cannot be parsed as one",
}
UPLOADS = {
    "413": "PAYLOAD_TOO_LARGE: the request body is over the size limit",
    "507": "INSUFFICIENT_STORAGE: no room to receive or store the file right now; retry later",
}


def _error_response(description: str, envelope: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": envelope}}}


def document_common_errors(result, generator, request, public):
    """Add the common error responses to every v0 and v1 operation that lacks them."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("V1Error", V1_ERROR_SCHEMA)
    for path, operations in result.get("paths", {}).items():
        if path.startswith("/api/v0/"):
            envelope = V0_ERROR
        elif path.startswith("/v1/"):
            envelope = V1_ERROR
        else:
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            wanted = dict(COMMON)
            if method != "get":
                wanted.update(WRITES)
            body_types = operation.get("requestBody", {}).get("content", {})
            if body_types:
                wanted.update(BODIES)
            if "multipart/form-data" in body_types:
                wanted.update(UPLOADS)
            responses = operation.setdefault("responses", {})
            for status_code, description in wanted.items():
                if status_code not in responses:
                    responses[status_code] = _error_response(description, envelope)
            if envelope is V1_ERROR:  # v1 views describe their error codes in words: add the envelope's schema
                for status_code, response in responses.items():
                    if status_code.startswith(("4", "5")) and "content" not in response:
                        response["content"] = {"application/json": {"schema": envelope}}
    return result


# DRF's CharField refuses a NUL character (ProhibitNullCharactersValidator: PostgreSQL text cannot hold
# one), which a schema without a pattern would admit. A pattern for the whole text, not "not: {pattern:
# NUL}": schemathesis's coverage phase cannot build multipart bodies under "not". (Swagger UI's
# try-it-out examples show text generated from the pattern instead of "string".)
NO_NUL_PATTERN = "^[^\\u0000]*$"


def state_text_constraints(result, generator, request, public):
    """Request text the server refuses with a NUL in it says so: a pattern on each free-text string of
    every request body (followed through its references), where no pattern, enum or format says more."""
    schemas = result.get("components", {}).get("schemas", {})
    seen: set[str] = set()

    def walk(schema) -> None:
        if not isinstance(schema, dict):
            return
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                walk(schemas.get(name))
            return
        if schema.get("type") == "string" and not {"pattern", "enum", "format"} & schema.keys():
            schema["pattern"] = NO_NUL_PATTERN
        for key in ("allOf", "oneOf", "anyOf"):
            for part in schema.get(key, []):
                walk(part)
        for prop in schema.get("properties", {}).values():
            walk(prop)
        walk(schema.get("items"))

    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                for media_type in operation.get("requestBody", {}).get("content", {}).values():
                    walk(media_type.get("schema"))
    return result
