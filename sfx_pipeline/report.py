"""How the pipeline talks while it works: a progress bar on a terminal, plain lines in logs
and CI, nothing at all under --json (the JSON document is the only output then)."""

from __future__ import annotations

import sys
import time
from typing import Protocol, TextIO


class Reporter(Protocol):
    def line(self, text: str) -> None:
        """A message a person should read (backend choice, warnings, one line per asset)."""

    def progress(self, done: int, total: int, label: str) -> None:
        """Where a long step is; may be shown as a bar or not at all."""

    def done(self) -> None:
        """The step is over: clear any bar."""


class TerminalReporter:
    """A bar that redraws in place at most ten times a second; lines print above it."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self._bar = ""
        self._last = 0.0

    def line(self, text: str) -> None:
        self._clear()
        print(text, file=self.stream, flush=True)
        if self._bar:
            self.stream.write(self._bar)
            self.stream.flush()

    def progress(self, done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and done < total:
            return
        self._last = now
        width = 30
        filled = width * done // max(total, 1)
        bar = f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}"[:120]
        self.stream.write(bar + " " * max(0, len(self._bar) - len(bar)))
        self.stream.flush()
        self._bar = bar

    def done(self) -> None:
        self._clear()
        self._bar = ""

    def _clear(self) -> None:
        if self._bar:
            self.stream.write("\r" + " " * len(self._bar) + "\r")


class LineReporter:
    """For logs: every message on its own line, progress only at 25 % steps."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self._quarter: dict[str, int] = {}

    def line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def progress(self, done: int, total: int, label: str) -> None:
        quarter = 4 * done // max(total, 1)
        if quarter > self._quarter.get(label, 0):
            self._quarter[label] = quarter
            print(f"{label}: {done}/{total}", file=self.stream, flush=True)

    def done(self) -> None:
        self._quarter.clear()


class QuietReporter:
    """For --json and for library callers that want no output."""

    def __init__(self) -> None:
        self.lines: list[str] = []  # kept so --json can still carry the messages

    def line(self, text: str) -> None:
        self.lines.append(text)

    def progress(self, done: int, total: int, label: str) -> None:
        pass

    def done(self) -> None:
        pass


def for_stream(stream: TextIO = sys.stderr) -> Reporter:
    return TerminalReporter(stream) if stream.isatty() else LineReporter(stream)
