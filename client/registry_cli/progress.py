"""Transfer progress: a rich bar (bytes, rate, time left) on a terminal, plain lines otherwise.

Progress goes to stderr so that ``--json`` output on stdout stays machine-readable.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

PLAIN_STEPS = 4  # plain mode prints at 25%, 50%, 75% and 100%


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # pragma: no cover - the loop always returns


class TransferProgress(Protocol):
    def restart(self) -> None: ...

    def advance(self, amount: int) -> None: ...

    def finish(self) -> None: ...


class SilentProgress:
    def restart(self) -> None:
        pass

    def advance(self, amount: int) -> None:
        pass

    def finish(self) -> None:
        pass


class PlainProgress:
    """A few lines a CI log can hold: ``upload ledger-1.0.0.zip: 50% (1.0 MiB of 2.0 MiB)``."""

    def __init__(self, *, description: str, total: int | None, stream: IO[str]):
        self.description, self.total, self.stream = description, total, stream
        self.restart()

    def restart(self) -> None:
        self.done, self.next_step, self.started = 0, 1, time.monotonic()

    def advance(self, amount: int) -> None:
        self.done += amount
        if not self.total:
            return
        step = min(self.done * PLAIN_STEPS // self.total, PLAIN_STEPS - 1)
        if step >= self.next_step:  # one line for the latest quarter crossed, however big the chunk was
            self._line(f"{step * 100 // PLAIN_STEPS}% ({human_bytes(self.done)} of {human_bytes(self.total)})")
            self.next_step = step + 1

    def finish(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self._line(f"done, {human_bytes(self.done)} in {elapsed:.1f} s ({human_bytes(self.done / elapsed)}/s)")

    def _line(self, text: str) -> None:
        print(f"{self.description}: {text}", file=self.stream, flush=True)


class RichProgress:
    def __init__(self, *, description: str, total: int | None, stream: IO[str]):
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task(description, total=total)

    def restart(self) -> None:
        self.progress.reset(self.task)

    def advance(self, amount: int) -> None:
        self.progress.advance(self.task, amount)

    def finish(self) -> None:
        self.progress.stop()


def make_progress(*, description: str, total: int | None, enabled: bool, stream: IO[str] | None = None):
    stream = stream or sys.stderr
    if not enabled:
        return SilentProgress()
    if stream.isatty():
        return RichProgress(description=description, total=total, stream=stream)
    return PlainProgress(description=description, total=total, stream=stream)
