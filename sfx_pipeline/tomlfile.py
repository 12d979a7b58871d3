"""Read a TOML file people wrote by hand, and point back into it.

tomllib reports where a syntax error is but keeps no positions for values, so `locate`
re-reads the text to find the line a key path was written on: errors about a value then
carry a line number too, which editors turn into a jump to the spot.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from sfx_pipeline.errors import Problem

MAX_BYTES = 256 * 1024  # a descriptor is a few lines; anything this big is a mistake

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class TomlDoc:
    data: dict[str, Any]
    lines: list[str]

    def locate(self, path: list[str | int]) -> tuple[int, int] | None:
        """(line, column), 1-based, where `path` is written; None if it cannot be found.

        A value inside an array or inline table points at the line of its key."""
        target = tuple(path)
        table: tuple[str | int, ...] = ()
        arrays: dict[tuple[str, ...], int] = {}  # [[name]] -> index of its latest entry
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header:
                names = tuple(_unquote(k) for k in header.group(2).split("."))
                if header.group(1) == "[[":
                    arrays[names] = arrays.get(names, -1) + 1
                    table = (*names, arrays[names])
                else:
                    table = _in_latest_entry(names, arrays)
                if table == target:
                    return number, line.index("[") + 1
                continue
            assign = _ASSIGN.match(line)
            if assign:
                full = table + tuple(_unquote(k) for k in assign.group(1).split("."))
                if target[: len(full)] == full:
                    return number, len(line) - len(line.lstrip()) + 1
        return None


def _in_latest_entry(names: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> tuple[str | int, ...]:
    # [sound.output] after [[sound]] is the output table of the latest sound entry
    for size in range(len(names) - 1, 0, -1):
        if names[:size] in arrays:
            return (*names[:size], arrays[names[:size]], *names[size:])
    return names


def _unquote(text: str) -> str:
    return text.strip().strip("\"'")


def read_toml(path: Path, shown_as: str) -> tuple[TomlDoc | None, list[Problem]]:
    """Parse `path`; on failure return the problems, each naming `shown_as`."""
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_BYTES + 1)  # one read, no separate stat: this runs per descriptor
    except OSError as exc:
        return None, [Problem(shown_as, "", f"cannot read: {exc.strerror or exc}")]
    if len(raw) > MAX_BYTES:
        return None, [Problem(shown_as, "", f"file is over the {MAX_BYTES // 1024} KiB limit",
                              "split it into several descriptors")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown_as, "", f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8", line)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(shown_as, exc)]
    return TomlDoc(data, text.splitlines()), []


def _syntax_problem(shown_as: str, exc: Exception) -> Problem:
    message = str(exc)
    pos = _TOML_POS.search(message)
    line, column = (int(pos.group(1)), int(pos.group(2))) if pos else (None, None)
    message = _TOML_POS.sub("", message).strip()
    return Problem(shown_as, "", f"TOML syntax error: {message}", "check quotes, brackets and `key = value` form", line, column)
