"""Where every result and message goes. Results on stdout (a table, a summary, or the one
JSON document under --json), so they can be piped; messages and progress on stderr.

-q keeps only errors and warnings, -v adds detail; colour only where a person reads it:
on a terminal, unless NO_COLOR is set (https://no-color.org), always when FORCE_COLOR is
(https://force-color.org), and as --color says above both.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Callable, Iterable, TextIO

from sfx_pipeline.report import LineReporter, QuietReporter, Reporter, TerminalReporter

_STYLES = {
    "error": "1;31", "failed": "1;31", "warning": "33", "stale": "33", "would build": "33",
    "modified": "35", "kept": "35", "orphan": "35", "pruned": "36",
    "fresh": "32", "generated": "32", "cached": "32", "ok": "32", "dim": "2", "bold": "1",
}


def use_color(when: str, stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if when != "auto":
        return when == "always"
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0", "false"):
        return True
    if env.get("TERM") == "dumb" or not _isatty(stream):
        return False
    # The classic Windows console shows escape codes as text unless told otherwise; Windows
    # Terminal (WT_SESSION) and terminals that set TERM understand them.
    return os.name != "nt" or bool(env.get("WT_SESSION") or env.get("TERM"))


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Important(str):
    """A result line -q still shows: an error, a failure, an output kept or left behind."""


class _Filtered:
    """The library's messages under -q: only errors and warnings, no progress."""

    def __init__(self, inner: Reporter) -> None:
        self.inner = inner

    def line(self, text: str) -> None:
        if text.startswith(("error", "warning")):
            self.inner.line(text)

    def progress(self, done: int, total: int, label: str) -> None:
        pass

    def done(self) -> None:
        self.inner.done()


class Output:
    def __init__(self, *, json_mode: bool = False, quiet: bool = False, verbose: bool = False,
                 color: str = "auto", stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.json = json_mode
        self.quiet = quiet
        self.verbose = verbose
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.color = use_color(color, self.stdout)
        self.color_err = use_color(color, self.stderr)
        self.reporter = self._reporter()

    def _reporter(self) -> Reporter:
        if self.json:
            return QuietReporter()  # the messages travel inside the document
        inner: Reporter = TerminalReporter(self.stderr) if _isatty(self.stderr) else LineReporter(self.stderr)
        return _Filtered(inner) if self.quiet else inner

    # results (stdout) ---------------------------------------------------------------

    def result(self, *lines: str) -> None:
        """Lines of a result; under -q only the `Important` ones (errors, failures); none under --json."""
        if self.json:
            return
        for line in lines:
            if not self.quiet or isinstance(line, Important):
                print(line, file=self.stdout)

    def detail(self, *lines: str) -> None:
        """Lines only -v shows."""
        if self.verbose:
            self.result(*lines)

    def document(self, doc: object) -> None:
        print(json.dumps(doc, indent=2), file=self.stdout)

    def emit(self, doc: object | Callable[[], object], lines: Iterable[str]) -> None:
        """The one result of a command: `doc` under --json, else `lines`. A `doc` that is a
        function is called only under --json: a build's or a status's document has an
        entry per asset, which text output would make for nothing."""
        if self.json:
            self.document(doc() if callable(doc) else doc)
        else:
            self.result(*lines)

    # messages (stderr) --------------------------------------------------------------

    def message(self, text: str) -> None:
        """What a person reads while it works (not a result); dropped by -q, kept in the JSON."""
        self.reporter.line(text)

    def warning(self, text: str) -> None:
        self.reporter.line(f"{self.paint('warning', 'warning', err=True)}: {text}" if not self.json
                           else f"warning: {text}")

    def error(self, message: str, hint: str = "") -> None:
        if self.json:
            self.document({"error": message, "hint": hint})
            return
        text = f"{self.paint('error', 'error', err=True)}: {message}"
        if hint:
            text += f"\n  fix: {hint}"
        print(text, file=self.stderr, flush=True)

    def paint(self, text: str, style: str, err: bool = False) -> str:
        code = _STYLES.get(style)
        if not code or not (self.color_err if err else self.color):
            return text
        return f"\033[{code}m{text}\033[0m"

    def flush(self) -> None:
        self.stdout.flush()
