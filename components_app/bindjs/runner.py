"""Run ``harness.js`` on one component source in a Deno process with no permissions, within bounds.

The process gets no network, file, environment, subprocess or FFI access (Deno's permission model, no
flag granting any), no remote or npm modules, a V8 heap limit, and a clean environment. From here it is
watched every few milliseconds and killed when it uses more than ``CPU_SECONDS`` of CPU, lives longer than
``WALL_SECONDS`` or holds more than ``MEMORY_BYTES`` of memory (V8's heap limit does not cover array
buffers, so resident memory is watched too). Its output goes to temporary files capped by RLIMIT_FSIZE, so
a component that prints without end cannot fill this process's memory either.
"""

import json
import os
import resource
import secrets
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

HARNESS = Path(__file__).with_name("harness.js")
CPU_SECONDS = 0.4
# A backstop for a process that waits without computing (the sandbox leaves it no timers or Atomics, so
# none is known). A compile takes about 0.05 s on a quiet machine; on a loaded one the wall clock stretches
# while CPU time does not, so this bound is far above the CPU one and never refuses a valid component for
# the machine being busy (at 1 s, the seeded suite met that under CI load).
WALL_SECONDS = 5.0
MEMORY_BYTES = 256 * 1024 * 1024
HEAP_MEGABYTES = 64
OUTPUT_BYTES = 8 * 1024 * 1024
POLL_SECONDS = 0.005
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Outcome:
    """The harness's JSON answer, or why there is none (``refusal``)."""

    answer: dict | None
    refusal: str | None = None


@cache
def deno_binary() -> str:
    """The Deno executable installed by the ``deno`` package from requirements.txt."""
    try:
        from deno import find_deno_bin
    except ImportError as exc:  # pragma: no cover - requirements.txt installs it
        raise ImproperlyConfigured(
            "The BindJS compiler needs the 'deno' package (pip install -r requirements.txt)"
        ) from exc
    return find_deno_bin()


def _command() -> list[str]:
    return [
        deno_binary(),
        "run",
        "--no-prompt",
        "--no-remote",
        "--no-npm",
        "--no-config",
        "--no-lock",
        "--no-code-cache",
        f"--v8-flags=--max-old-space-size={HEAP_MEGABYTES}",
        str(HARNESS),
    ]


def _usage(pid: int) -> tuple[float, int]:
    """CPU seconds (all threads) and resident bytes of a live process, from /proc; zeros where unreadable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime
        rss = int(fields[21]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0.0, 0
    return cpu, rss


def _watch(process: subprocess.Popen) -> str | None:
    """Wait for the process to end; kill it at the first bound it crosses and say which."""
    started = time.monotonic()
    while True:
        try:
            process.wait(timeout=POLL_SECONDS)
            return None
        except subprocess.TimeoutExpired:
            pass
        cpu, rss = _usage(process.pid)
        refusal = None
        if cpu > CPU_SECONDS:
            refusal = f"evaluation used more than {CPU_SECONDS:g} s of CPU time (an endless loop?)"
        elif time.monotonic() - started > WALL_SECONDS:
            refusal = f"evaluation did not finish within {WALL_SECONDS:g} s"
        elif rss > MEMORY_BYTES:
            refusal = f"evaluation used more than {MEMORY_BYTES // (1024 * 1024)} MB of memory"
        if refusal:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return refusal


def _read(file, limit: int) -> str:
    file.seek(0)
    return file.read(limit).decode("utf-8", errors="replace")


def run_harness(source: str) -> Outcome:
    nonce = secrets.token_hex(16)
    # A fresh DENO_DIR per run: Deno caches an analysis of every module it loads there, which would
    # otherwise grow with every component ever compiled.
    with (
        tempfile.TemporaryDirectory(prefix="bindjs-") as deno_dir,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        env = {"DENO_DIR": deno_dir, "NO_COLOR": "1", "DENO_NO_UPDATE_CHECK": "1", "PATH": os.defpath}
        process = subprocess.Popen(
            _command(),
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            env=env,
            cwd=deno_dir,
            start_new_session=True,  # its own process group, killed whole
        )
        try:
            resource.prlimit(process.pid, resource.RLIMIT_FSIZE, (OUTPUT_BYTES, OUTPUT_BYTES))
            process.stdin.write(f"{nonce}\n{source}".encode())
            process.stdin.close()
        except (OSError, ProcessLookupError):
            pass  # it already ended; _watch and the output say how
        refusal = _watch(process)
        stdout, stderr = _read(out, OUTPUT_BYTES), _read(err, 64 * 1024)
    if refusal:
        return Outcome(None, refusal)
    for line in stdout.splitlines():
        if line.startswith(nonce):
            try:
                return Outcome(json.loads(line[len(nonce) :]))
            except ValueError:
                break
    if "out of memory" in stderr:
        return Outcome(None, f"evaluation ran out of memory (the heap limit is {HEAP_MEGABYTES} MB)")
    return Outcome(None, f"evaluation ended without an answer (exit status {process.returncode})")
