"""Transfer progress: a rich bar (bytes, rate, time left) on a terminal, plain lines otherwise.

Progress goes to stderr so that ``--json`` output on stdout stays machine-readable. Every size and
rate the client shows is in binary (IEC) units: B, KiB, MiB, GiB, and KiB/s, MiB/s for rates.
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
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

PLAIN_STEPS = 4  # plain mode prints at 25%, 50%, 75% and 100%
UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_bytes(size: float) -> str:
    """``size`` bytes in binary units: ``512 B``, ``1.5 KiB``, ``2.0 MiB``."""
    for unit in UNITS:
        if size < 1024 or unit == UNITS[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable: the last unit always returns")  # pragma: no cover


def human_rate(bytes_per_second: float) -> str:
    return f"{human_bytes(bytes_per_second)}/s"


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
        step = min(self.done * PLAIN_STEPS // self.total, PLAIN_STEPS)
        if step >= self.next_step:  # one line for the latest quarter crossed, however big the chunk was
            self._line(f"{step * 100 // PLAIN_STEPS}% ({human_bytes(self.done)} of {human_bytes(self.total)})")
            self.next_step = step + 1

    def finish(self) -> None:
        if self.total and self.done < self.total:  # the transfer failed part-way: say where it stopped
            self._line(f"stopped at {human_bytes(self.done)} of {human_bytes(self.total)}")
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self._line(f"done, {human_bytes(self.done)} in {elapsed:.1f} s ({human_rate(self.done / elapsed)})")

    def _line(self, text: str) -> None:
        print(f"{self.description}: {text}", file=self.stream, flush=True)


class BinaryTransferSpeedColumn(ProgressColumn):
    """The transfer rate in the same binary units as the sizes (rich's own column is decimal: MB/s)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("?" if speed is None else human_rate(speed), style="progress.data.speed")


class RichProgress:
    def __init__(self, *, description: str, total: int | None, stream: IO[str]):
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            BinaryTransferSpeedColumn(),
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
        task = self.progress.tasks[0]
        if task.total is None:  # a download without Content-Length: what arrived was the whole of it
            self.progress.update(self.task, total=task.completed)
        self.progress.stop()


def make_progress(*, description: str, total: int | None, enabled: bool, stream: IO[str] | None = None):
    stream = stream or sys.stderr
    if not enabled:
        return SilentProgress()
    if stream.isatty():
        return RichProgress(description=description, total=total, stream=stream)
    return PlainProgress(description=description, total=total, stream=stream)
