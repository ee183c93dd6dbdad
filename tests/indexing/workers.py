"""Real Celery worker processes (and a private Redis) for the real-worker tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_database_url() -> str:
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    user = settings.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


class Worker:
    """``celery -A config worker`` (with embedded beat) as a subprocess in its own process group."""

    def __init__(self, *, broker: str, queue: str, media_root: Path, log: Path, env: dict[str, str] | None = None):
        self.log = log
        worker_env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL", "PYTEST_XDIST_WORKER")
        }
        worker_env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=test_database_url(),
            CELERY_BROKER_URL=broker,
            CELERY_TASK_DEFAULT_QUEUE=queue,
            MEDIA_ROOT=str(media_root),
            INDEX_SWEEP_INTERVAL_SECONDS="1",
            INDEX_SWEEP_UNKNOWN_AFTER_SECONDS="1",
            **(env or {}),
        )
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
            "-s", str(log.with_suffix(".beat")), "-P", "prefork", "-c", "1", "-Q", queue, "-l", "info",
            "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self._log_file = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=worker_env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_until(
            lambda: "ready." in self.output() or self.process.poll() is not None, timeout=120, what="worker ready"
        )
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited at start:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole worker: main process, pool child and beat."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self._log_file.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log_file.close()


class PrivateRedis:
    """A throwaway redis-server on its own port, which a test may stop and start again."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(answers, timeout=60, what="private redis")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


@contextmanager
def publishing_app(**conf):
    """A Celery app set up as config/celery.py's, with ``conf`` on top, that this process publishes with
    (tasks' ``delay()`` and ``current_app``, on every thread) until the block ends; then the project's app again.

    A new app rather than the project's reconfigured: an app keeps the broker connection pool and the AMQP
    helpers (queues, producers) it built from the first configuration it saw.
    """
    from celery import Celery

    from config.celery import app as project_app

    with Celery(project_app.main) as app:  # current on this thread; closed (its pool dropped) on exit
        app.config_from_object("django.conf:settings", namespace="CELERY")
        app.autodiscover_tasks()
        app.conf.update(conf)
        app.set_default()  # the current app of threads that set none: the enqueue and /readyz pools
        try:
            yield app
        finally:
            project_app.set_current()
            project_app.set_default()


@contextmanager
def celery_sending_to(broker: str, queue: str):
    """Make this (test) process publish tasks to ``broker``/``queue`` instead of running them in-process."""
    with publishing_app(broker_url=broker, task_always_eager=False, task_default_queue=queue) as app:
        yield app
