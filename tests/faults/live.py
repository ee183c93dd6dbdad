"""The production web process for fault tests: gunicorn with ``config/gunicorn.conf.py`` on a free port.

Its SQLite database, media, secret key and temporary files live in a test's folder; ``env`` adds or
overrides variables (a ``DATABASE_URL`` at a hung listener, a ``REDIS_URL``...). ``manage`` runs a
management command in the same environment.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
# Variables of the outer environment that would point the server at someone else's services.
FOREIGN = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL", "MEDIA_ROOT", "REGISTRY_URL")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_environment(folder: Path, **env: str) -> dict[str, str]:
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in FOREIGN and not key.startswith(("S3_", "REGISTRY_", "GUNICORN_", "CELERY_"))
    }
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": "fault-tests-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REGISTRY_VAR_DIR": str(folder / "var"),
        "TMPDIR": str(folder / "tmp"),
        "LOG_FORMAT": "plain",
        "PYTHONUNBUFFERED": "1",
        **env,
    }


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class LiveServer:
    process: subprocess.Popen
    url: str
    env: dict[str, str]
    log: Path
    token: str = ""

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None, timeout=60):
        request = urllib.request.Request(f"{self.url}{path}", data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Response(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def send_raw(self, data: bytes, timeout=60) -> Response:
        """Send ``data`` as it is (a request no HTTP library would write) and read the answer."""
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            sock.sendall(data)
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            return Response(answer.status, dict(answer.getheaders()), answer.read())

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def start_gunicorn(env: dict[str, str], log: Path, *, workers: int = 1, threads: int = 2) -> LiveServer:
    """gunicorn as docs/production.md runs it (one small worker, so a few pinned threads would show)."""
    port = free_port()
    env = {**env, "GUNICORN_WORKERS": str(workers), "GUNICORN_THREADS": str(threads)}
    env.setdefault("GUNICORN_CONTROL_SOCKET", str(log.parent / f"gunicorn-{port}.ctl"))
    output = open(log, "w")  # noqa: SIM115 (the process writes it until it stops)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "config/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "config.wsgi",
        ],
        cwd=CHECKOUT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = LiveServer(process=process, url=f"http://127.0.0.1:{port}", env=env, log=log)
    deadline = time.monotonic() + 60
    while True:
        try:
            if server.get("/healthz", timeout=2).status == 200:
                return server
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise AssertionError(f"gunicorn did not come up:\n{log.read_text()}")
        time.sleep(0.2)


def multipart(fields: dict[str, tuple[str | None, bytes, str]]) -> tuple[bytes, str]:
    """``{name: (filename or None, content, content_type)}`` as a multipart/form-data body and its type."""
    boundary = "----registry-fault-test-boundary"
    parts = []
    for name, (filename, content, content_type) in fields.items():
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        parts.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
