"""The HTTP side: one httpx client with timeouts, bearer auth, retries and streamed transfers.

Retries (tenacity, exponential backoff with jitter) cover network failures and 429/502/503/504. They
are safe because every request the client repeats is idempotent on the server: reads, archive status
changes, and the v0 create-or-update upload, where re-sending the same version with the same bytes is
a no-op. A request that is not idempotent (the v1 release) is repeated only when the connection
failed before anything was sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar
from urllib.parse import quote

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from registry_cli import __version__
from registry_cli.errors import CliError, ExitCode, error_from_response
from registry_cli.progress import SilentProgress, TransferProgress

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_RETRY_AFTER = 60.0


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response):
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _connection_never_made(exc: BaseException) -> bool:
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


def path_of(*segments: str) -> str:
    """URL path from raw names, each percent-encoded so a name can never change the route."""
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


T = TypeVar("T")


@dataclass
class _Transfer:
    """What a download has received so far, kept across retries so a cut transfer can resume."""

    size: int = 0
    digest: Any = field(default_factory=hashlib.sha256)
    etag: str | None = None
    expected: str | None = None
    progress: Any = None

    def start_over(self, *, etag: str | None, expected: str | None) -> None:
        self.size, self.digest, self.etag, self.expected = 0, hashlib.sha256(), etag, expected


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    size: int
    sha256: str
    expected_sha256: str | None


def _expected_sha256(headers: httpx.Headers) -> str | None:
    """The sha256 the server vouches for: an RFC 9530 digest header, else the (sha256) ETag."""
    for name in ("Repr-Digest", "Content-Digest", "Digest"):
        for item in headers.get_list(name, split_commas=True):
            algorithm, _, value = item.strip().partition("=")
            if algorithm.strip().lower() in ("sha-256", "sha256"):
                raw = value.strip().strip(":")
                try:
                    return base64.b64decode(raw, validate=True).hex()
                except ValueError:
                    if len(raw) == 64:
                        return raw.lower()
    etag = headers.get("ETag", "").removeprefix("W/").strip('"')
    return etag.lower() if len(etag) == 64 and all(c in "0123456789abcdefABCDEF" for c in etag) else None


class _CountingReader:
    """A file wrapper that reports bytes as httpx reads them, and restarts on rewind (a retry)."""

    def __init__(self, handle: IO[bytes], progress: TransferProgress):
        self.handle, self.progress = handle, progress

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.progress.advance(len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self.progress.restart()
        return self.handle.seek(offset, whence)

    def tell(self) -> int:
        return self.handle.tell()

    def fileno(self) -> int:
        return self.handle.fileno()


class RegistryClient:
    def __init__(
        self,
        *,
        server: str,
        token: str | None,
        retries: int = 4,
        backoff: float | None = None,
        timeout: float = 60.0,
        on_retry: Callable[[str], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        self.server = server
        self.retries = retries
        self.backoff = backoff if backoff is not None else float(os.environ.get("REGISTRY_CLI_BACKOFF", "1.0"))
        self.on_retry = on_retry or (lambda message: None)
        headers = {"User-Agent": f"registry-cli/{__version__}", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(
            base_url=server,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=10.0),
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the retry loop -------------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableStatus):
            retry_after = exc.response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                return min(float(retry_after), MAX_RETRY_AFTER)
        return wait_random_exponential(multiplier=self.backoff, max=30)(state)

    def _announce(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = str(exc) or type(exc).__name__
        sleep = state.next_action.sleep if state.next_action else 0
        self.on_retry(f"attempt {state.attempt_number} failed ({reason}); retrying in {sleep:.1f} s")

    def _retrying(self, attempt: Callable[[], T], *, idempotent: bool) -> T:
        """``attempt()`` until it succeeds, a non-retryable error, or the last retry."""

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, _RetryableStatus):
                return idempotent or exc.response.status_code == 429
            if isinstance(exc, httpx.TransportError):
                return idempotent or _connection_never_made(exc)
            return False

        try:
            for try_ in Retrying(
                stop=stop_after_attempt(self.retries + 1),
                wait=self._wait,
                retry=retry_if_exception(retryable),
                before_sleep=self._announce,
                reraise=True,
            ):
                with try_:
                    return attempt()
        except _RetryableStatus as exc:
            raise self._error(exc.response) from None
        except httpx.TransportError as exc:
            raise CliError(
                "NETWORK_ERROR",
                f"Cannot reach {self.server}: {exc or type(exc).__name__} (after {self.retries + 1} attempts)",
                exit_code=ExitCode.UNAVAILABLE,
            ) from exc
        raise AssertionError("unreachable: Retrying either returns or raises")  # pragma: no cover

    @staticmethod
    def _raise_if_retryable(response: httpx.Response) -> httpx.Response:
        if response.status_code in RETRY_STATUSES:
            response.read()
            response.close()
            raise _RetryableStatus(response)
        return response

    def _send(self, attempt: Callable[[], httpx.Response], *, idempotent: bool) -> httpx.Response:
        return self._retrying(lambda: self._raise_if_retryable(attempt()), idempotent=idempotent)

    @staticmethod
    def _error(response: httpx.Response) -> CliError:
        try:
            body = response.json()
        except ValueError:
            body = None
        return error_from_response(response.status_code, body, response.reason_phrase)

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if response.is_error:
            response.read()
            raise self._error(response)
        return response

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise CliError(
                "BAD_RESPONSE",
                f"The server answered {response.status_code} with a body that is not JSON",
                exit_code=ExitCode.UNEXPECTED,
                status=response.status_code,
            ) from exc

    # -- JSON requests ----------------------------------------------------------------------------------

    def request_json(
        self, method: str, path: str, *, params: dict | None = None, body: Any = None, idempotent: bool = True
    ) -> Any:
        response = self._send(lambda: self.http.request(method, path, params=params, json=body), idempotent=idempotent)
        return self._json(self._checked(response))

    def get(self, path: str, **params: Any) -> Any:
        return self.request_json("GET", path, params={k: v for k, v in params.items() if v is not None})

    def get_all_v0(self, path: str, *, limit: int = 100, **params: Any) -> list[Any]:
        """Every item of a v0 list: JSON array pages, total in ``X-Total-Count``."""
        items: list[Any] = []
        page = 1
        while True:
            query = {**{k: v for k, v in params.items() if v is not None}, "page": page, "limit": limit}
            response = self._checked(self._send(lambda q=query: self.http.get(path, params=q), idempotent=True))
            batch = self._json(response)
            if not isinstance(batch, list):
                raise CliError("BAD_RESPONSE", f"Expected a JSON array from {path}", exit_code=ExitCode.UNEXPECTED)
            items.extend(batch)
            total = response.headers.get("X-Total-Count")
            done = (
                len(items) >= int(total)
                if total and total.isdigit()
                else 'rel="next"' not in response.headers.get("Link", "")
            )
            if done or not batch:
                return items
            page += 1

    # -- transfers ----------------------------------------------------------------------------------------

    def upload_package(
        self,
        *,
        path: str,
        archive: Path,
        md5: str,
        package: dict[str, Any],
        version: dict[str, Any],
        progress: TransferProgress | None = None,
    ) -> tuple[int, Any]:
        """POST the v0 multipart create-or-update; the archive is streamed from disk on every attempt."""
        progress = progress or SilentProgress()
        data = {"package": json.dumps(package), "version": json.dumps(version), "md5Hash": md5}
        with archive.open("rb") as handle:
            reader = _CountingReader(handle, progress)

            def attempt() -> httpx.Response:
                files = {"packageFile": (archive.name, reader, "application/zip")}
                return self.http.post(path, data=data, files=files)

            response = self._checked(self._send(attempt, idempotent=True))
        return response.status_code, self._json(response)

    def download(
        self, *, path: str, destination: Path, progress_factory: Callable[[int | None], Any]
    ) -> DownloadResult:
        """Stream to a temporary file beside ``destination``; move it in place only if the digest matches.

        A transfer cut part-way is resumed with ``Range`` + ``If-Range`` (the ETag), so only the missing
        bytes are fetched again; if the server answers with the whole file instead, it starts over.
        """
        partial = destination.with_name(f".{destination.name}.part")
        transfer = _Transfer()
        try:
            self._retrying(lambda: self._download_once(path, partial, transfer, progress_factory), idempotent=True)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            if transfer.progress is not None:
                transfer.progress.finish()
        actual = transfer.digest.hexdigest()
        if transfer.expected is not None and transfer.expected != actual:
            partial.unlink(missing_ok=True)
            raise CliError(
                "DIGEST_MISMATCH",
                f"Downloaded bytes have sha256 {actual}, the server announced {transfer.expected}; nothing was written",
                exit_code=ExitCode.INTEGRITY,
                details={"expected": transfer.expected, "actual": actual},
            )
        os.replace(partial, destination)
        return DownloadResult(path=destination, size=transfer.size, sha256=actual, expected_sha256=transfer.expected)

    def _download_once(
        self, path: str, partial: Path, transfer: _Transfer, progress_factory: Callable[[int | None], Any]
    ) -> None:
        # identity: byte offsets for Range must be offsets in the file itself, not in a compressed stream
        headers = {"Accept-Encoding": "identity"}
        if transfer.size and transfer.etag:
            headers.update({"Range": f"bytes={transfer.size}-", "If-Range": transfer.etag})
        response = self.http.send(self.http.build_request("GET", path, headers=headers), stream=True)
        try:
            self._checked(self._raise_if_retryable(response))
            resumed = response.status_code == 206 and response.headers.get("Content-Range", "").startswith(
                f"bytes {transfer.size}-"
            )
            if response.status_code == 206 and not resumed:
                transfer.start_over(etag=None, expected=None)  # a range we did not ask for: fetch it all
                raise httpx.RemoteProtocolError("unexpected Content-Range; downloading the whole file again")
            if not resumed:
                length = response.headers.get("Content-Length")
                transfer.start_over(etag=response.headers.get("ETag"), expected=_expected_sha256(response.headers))
                if transfer.progress is None:
                    transfer.progress = progress_factory(int(length) if length and length.isdigit() else None)
                else:
                    transfer.progress.restart()
            with partial.open("ab" if resumed else "wb") as out:
                for chunk in response.iter_bytes():  # no chunk size: unbuffered, what arrived is kept on a cut
                    out.write(chunk)
                    transfer.digest.update(chunk)
                    transfer.size += len(chunk)
                    transfer.progress.advance(len(chunk))
        finally:
            response.close()
