"""The HTTP layer against an in-process mock transport: retries, the multipart upload, digest checks."""

import hashlib
import io
import json

import httpx
import pytest
from registry_cli.api import RegistryClient
from registry_cli.errors import CliError, ExitCode
from registry_cli.progress import PlainProgress


def client_with(handler, **kwargs) -> RegistryClient:
    kwargs.setdefault("backoff", 0.001)
    return RegistryClient(server="http://registry.test", token="tok", transport=httpx.MockTransport(handler), **kwargs)


def test_a_read_is_retried_after_a_network_failure_and_the_retry_is_announced():
    calls, notices = [], []

    def flaky(request):
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ReadError("connection reset by peer")
        return httpx.Response(200, json={"name": "ledger"})

    with client_with(flaky, on_retry=notices.append) as client:
        assert client.get("/api/v0/x") == {"name": "ledger"}

    assert len(calls) == 2
    assert len(notices) == 1
    assert "connection reset by peer" in notices[0]


def test_service_unavailable_is_retried_but_a_conflict_is_not():
    statuses = iter([503, 409])
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(next(statuses), json={"code": "VERSION_EXISTS", "message": "exists"})

    with client_with(handler) as client, pytest.raises(CliError) as failed:
        client.get("/api/v0/x")

    assert len(calls) == 2
    assert failed.value.code == "VERSION_EXISTS"


def test_giving_up_after_the_last_retry_exits_unavailable():
    def down(request):
        raise httpx.ConnectError("connection refused")

    with client_with(down, retries=2) as client, pytest.raises(CliError) as failed:
        client.get("/api/v0/x")

    assert failed.value.exit_code == ExitCode.UNAVAILABLE
    assert "after 3 attempts" in failed.value.message


def test_a_request_that_is_not_idempotent_is_not_repeated_once_it_may_have_arrived():
    calls = []

    def drops(request):
        calls.append(request)
        raise httpx.ReadError("server closed the connection")

    with client_with(drops) as client, pytest.raises(CliError):
        client.request_json("POST", "/v1/x/packages", body={"version": "1.0.0"}, idempotent=False)

    assert len(calls) == 1


def test_the_upload_sends_the_four_credible_parts_and_resends_the_whole_file_on_retry(tmp_path):
    archive = tmp_path / "ledger-1.0.0.zip"
    archive.write_bytes(b"PK" + bytes(range(256)) * 40)
    bodies = []

    def handler(request):
        boundary = request.headers["Content-Type"].partition("boundary=")[2].encode()
        bodies.append(request.read().replace(boundary, b"BOUNDARY"))  # each attempt draws a new boundary
        if len(bodies) == 1:
            raise httpx.WriteError("broken pipe")
        return httpx.Response(201, json={"name": "ledger", "latestVersion": "1.0.0"})

    progress = PlainProgress(description="upload", total=archive.stat().st_size, stream=io.StringIO())
    with client_with(handler) as client:
        status, body = client.upload_package(
            path="/api/v0/p",
            archive=archive,
            md5="abc",
            package={"name": "ledger"},
            version={"id": "1.0.0"},
            progress=progress,
        )

    assert (status, body["latestVersion"]) == (201, "1.0.0")
    assert bodies[0] == bodies[1]
    assert archive.read_bytes() in bodies[1]
    for part in (b'name="package"', b'name="version"', b'name="md5Hash"', b'name="packageFile"'):
        assert part in bodies[1]
    assert json.dumps({"id": "1.0.0"}).encode() in bodies[1]
    assert progress.done == archive.stat().st_size  # counted once, not once per attempt


def test_a_download_whose_bytes_do_not_match_the_etag_is_refused_and_not_written(tmp_path):
    def tampered(request):
        return httpx.Response(
            200, content=b"tampered", headers={"ETag": f'"{hashlib.sha256(b"original").hexdigest()}"'}
        )

    destination = tmp_path / "out.zip"
    with client_with(tampered) as client, pytest.raises(CliError) as refused:
        client.download(
            path="/d",
            destination=destination,
            progress_factory=lambda total: PlainProgress(description="d", total=total, stream=io.StringIO()),
        )

    assert refused.value.code == "DIGEST_MISMATCH"
    assert refused.value.exit_code == ExitCode.INTEGRITY == 8
    assert list(tmp_path.iterdir()) == []


def test_a_download_is_verified_against_an_rfc_9530_digest_header(tmp_path):
    import base64

    data = b"archive bytes"
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()

    def handler(request):
        return httpx.Response(200, content=data, headers={"Repr-Digest": f"sha-256=:{digest}:"})

    with client_with(handler) as client:
        result = client.download(
            path="/d",
            destination=tmp_path / "out.zip",
            progress_factory=lambda total: PlainProgress(description="d", total=total, stream=io.StringIO()),
        )

    assert result.expected_sha256 == result.sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "out.zip").read_bytes() == data


def test_plain_progress_prints_quarter_steps_and_a_summary():
    stream = io.StringIO()
    progress = PlainProgress(description="upload x", total=400, stream=stream)
    for _ in range(8):
        progress.advance(50)
    progress.finish()

    lines = stream.getvalue().splitlines()
    assert [line.split(": ")[1].split(" ")[0] for line in lines[:4]] == ["25%", "50%", "75%", "100%"]
    assert lines[4].startswith("upload x: done, 400 B in ")


class _CutStream(httpx.SyncByteStream):
    """A body that delivers ``data`` and then fails as a dropped connection would."""

    def __init__(self, data: bytes):
        self.data = data

    def __iter__(self):
        yield self.data
        raise httpx.ReadError("connection reset mid-body")


def test_a_download_cut_part_way_resumes_with_a_range_request_for_the_missing_bytes(tmp_path):
    data = bytes(range(256)) * 64
    etag = f'"{hashlib.sha256(data).hexdigest()}"'
    requests = []

    def handler(request):
        requests.append(request)
        if len(requests) == 1:
            headers = {"ETag": etag, "Content-Length": str(len(data))}
            return httpx.Response(200, headers=headers, stream=_CutStream(data[:5000]))
        start = int(request.headers["Range"].removeprefix("bytes=").rstrip("-"))
        headers = {"ETag": etag, "Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
        return httpx.Response(206, headers=headers, content=data[start:])

    with client_with(handler) as client:
        result = client.download(
            path="/d",
            destination=tmp_path / "out.zip",
            progress_factory=lambda total: PlainProgress(description="d", total=total, stream=io.StringIO()),
        )

    assert (tmp_path / "out.zip").read_bytes() == data
    assert result.sha256 == hashlib.sha256(data).hexdigest() == result.expected_sha256
    assert requests[1].headers["Range"] == "bytes=5000-"
    assert requests[1].headers["If-Range"] == etag


def test_a_resumed_download_starts_over_when_the_server_sends_the_whole_file_again(tmp_path):
    old, new = b"a" * 4000, b"b" * 3000  # the version's bytes cannot change, but a proxy may ignore Range
    requests = []

    def handler(request):
        requests.append(request)
        if len(requests) == 1:
            return httpx.Response(200, headers={"ETag": '"old"'}, stream=_CutStream(old[:1000]))
        return httpx.Response(200, headers={"ETag": f'"{hashlib.sha256(new).hexdigest()}"'}, content=new)

    with client_with(handler) as client:
        client.download(
            path="/d",
            destination=tmp_path / "out.zip",
            progress_factory=lambda total: PlainProgress(description="d", total=total, stream=io.StringIO()),
        )

    assert (tmp_path / "out.zip").read_bytes() == new


def test_plain_progress_prints_one_line_when_a_single_chunk_crosses_several_quarters():
    stream = io.StringIO()
    progress = PlainProgress(description="upload x", total=400, stream=stream)
    progress.advance(400)
    progress.finish()

    assert [line.split(": ")[1].split(" ")[0] for line in stream.getvalue().splitlines()] == ["100%", "done,"]
