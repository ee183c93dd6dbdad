"""Requests gunicorn refuses itself are answered in the API's envelope, not gunicorn's HTML page.

Raw requests over a socket to gunicorn started with config/gunicorn.conf.py: a malformed request line or
header (400), too many or too large header fields (431), an unknown transfer coding (501), a chunked body
whose framing breaks while it is read (400). Where gunicorn does not say which request the error belongs
to, the JSON body has both envelopes' fields; where it does, that surface's envelope (plain text outside
the API).
"""

import pytest

V0 = b"/api/v0/organizations/acme/projects"
HOST = b"Host: 127.0.0.1\r\n"


def get(*header_lines: bytes) -> bytes:
    return b"GET " + V0 + b" HTTP/1.1\r\n" + HOST + b"".join(header_lines) + b"\r\n"


def post_chunked(path: bytes, chunks: bytes, *header_lines: bytes) -> bytes:
    return (
        b"POST " + path + b" HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
        + b"".join(header_lines) + b"Transfer-Encoding: chunked\r\n\r\n" + chunks
    )  # fmt: skip


BAD_CHUNK_SIZE = b"zz\r\n{}\r\n0\r\n\r\n"
LARGE_FIELD = b"X-Large: " + b"x" * 20_000 + b"\r\n"
UNKNOWN_CODING = b"POST " + V0 + b" HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: frobnicate, chunked\r\n\r\n0\r\n\r\n"

REFUSED_BEFORE_THE_PATH_IS_KNOWN = {
    "request line with a fourth part": (
        b"GET " + V0 + b" HTTP/1.1 extra\r\n" + HOST + b"\r\n",
        400,
        "MALFORMED_REQUEST",
    ),
    "request line that is one word": (b"GARBAGE\r\n" + HOST + b"\r\n", 400, "MALFORMED_REQUEST"),
    "header without a colon": (get(b"NoColonHere\r\n"), 400, "MALFORMED_REQUEST"),
    "200 header fields": (get(*(b"X-Field-%d: x\r\n" % n for n in range(200))), 431, "REQUEST_HEADER_FIELDS_TOO_LARGE"),
    "a 20 kB header field": (get(LARGE_FIELD), 431, "REQUEST_HEADER_FIELDS_TOO_LARGE"),
    "unknown transfer coding": (UNKNOWN_CODING, 501, "UNSUPPORTED_TRANSFER_CODING"),
}


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    list(REFUSED_BEFORE_THE_PATH_IS_KNOWN.values()),
    ids=list(REFUSED_BEFORE_THE_PATH_IS_KNOWN),
)
def test_a_request_gunicorn_refuses_before_its_path_is_known_gets_json_with_both_envelopes_fields(
    gunicorn_registry, request_bytes, status, code
):
    response = gunicorn_registry.send_raw(request_bytes)

    assert response.status == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == body["error"]["code"] == code
    assert body["message"] == body["error"]["message"]


def test_the_431_message_names_gunicorns_header_limits(gunicorn_registry):
    message = gunicorn_registry.send_raw(get(LARGE_FIELD)).json()["message"]

    assert message == "The request has more than 100 header fields, or one longer than 8190 bytes."


def test_a_bad_chunk_size_on_a_v0_path_is_400_in_the_v0_envelope(gunicorn_registry):
    response = gunicorn_registry.send_raw(post_chunked(V0, BAD_CHUNK_SIZE))

    assert response.status == 400
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"code": "MALFORMED_REQUEST", "message": "Invalid chunk size: b'zz'"}


def test_a_bad_chunk_size_on_a_v1_path_is_400_in_the_v1_envelope(gunicorn_registry):
    response = gunicorn_registry.send_raw(post_chunked(b"/v1/organizations", BAD_CHUNK_SIZE))

    assert response.status == 400
    assert response.json() == {
        "error": {"code": "MALFORMED_REQUEST", "message": "Invalid chunk size: b'zz'", "details": {}}
    }


def test_a_bad_chunk_size_outside_the_api_is_400_in_plain_text(gunicorn_registry):
    response = gunicorn_registry.send_raw(post_chunked(b"/admin/login/", BAD_CHUNK_SIZE))

    assert response.status == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.body == b"Invalid chunk size: b'zz'"


def test_both_content_length_and_chunked_is_400_in_the_envelope_of_the_path(gunicorn_registry):
    response = gunicorn_registry.send_raw(post_chunked(V0, b"0\r\n\r\n", b"Content-Length: 2\r\n"))

    assert response.status == 400
    assert response.json() == {"code": "MALFORMED_REQUEST", "message": "Invalid HTTP Header: 'CONTENT-LENGTH'"}


def test_a_compressed_chunked_body_is_501_in_the_v0_envelope(gunicorn_registry):
    """gunicorn passes ``gzip, chunked`` on still compressed; the app refuses it rather than read gzip as JSON."""
    request = b"POST " + V0 + b" HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    response = gunicorn_registry.send_raw(request)

    assert response.status == 501
    assert response.json()["code"] == "UNSUPPORTED_TRANSFER_CODING"


def test_a_refusal_carries_a_new_request_id(gunicorn_registry):
    response = gunicorn_registry.send_raw(b"GARBAGE\r\n" + HOST + b"\r\n")

    assert len(response.headers["X-Request-ID"]) == 32


def test_a_refusal_echoes_the_clients_request_id_when_gunicorn_has_the_request(gunicorn_registry):
    request = post_chunked(V0, BAD_CHUNK_SIZE, b"X-Request-ID: trace-42\r\n")

    assert gunicorn_registry.send_raw(request).headers["X-Request-ID"] == "trace-42"


def test_a_refusal_closes_the_connection_as_gunicorns_own_does(gunicorn_registry):
    response = gunicorn_registry.send_raw(get(b"NoColonHere\r\n"))

    assert response.headers["Connection"] == "close"


def test_gunicorn_still_logs_the_requests_it_refuses(gunicorn_registry):
    gunicorn_registry.send_raw(get(b"Not-Logged-Yet\r\n"))

    log = gunicorn_registry.log.read_text()
    assert "Invalid request from ip=127.0.0.1: Invalid HTTP Header: 'Not-Logged-Yet'" in log
