"""Read a TOML file people wrote by hand, and point back into it.

tomllib reports where a syntax error is but keeps no positions for values, so `locate`
re-reads the text to find the line a key path was written on: errors about a value then
carry a line number too, which editors turn into a jump to the spot.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from sfx_pipeline.errors import Problem
from sfx_pipeline.hashing import digest
from sfx_pipeline.untrusted import MAX_DEPTH, TooLarge, depth, read_regular

MAX_BYTES = 256 * 1024  # a descriptor is a few lines; anything this big is a mistake

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


Position = tuple[int, int]


@dataclass(frozen=True)
class TomlDoc:
    data: dict[str, Any]
    lines: list[str]
    digest: str = ""  # of the bytes parsed: lets a memo check a file by content (see noop.py)
    _index: dict[str, dict[tuple[str | int, ...], Position]] = field(default_factory=dict, repr=False, compare=False)

    def locate(self, path: list[str | int]) -> Position | None:
        """(line, column), 1-based, where `path` is written; None if it cannot be found.

        A value inside an array or inline table points at the line of its key. The text is
        indexed once, on the first call, so a file with thousands of errors is read once,
        not once per error."""
        if not self._index:
            self._index.update(headers={}, keys={})
            self._build_index()
        target = tuple(path)
        found = [self._index["headers"].get(target)]
        found += [self._index["keys"].get(target[:size]) for size in range(1, len(target) + 1)]
        return min((f for f in found if f is not None), default=None)

    def _build_index(self) -> None:
        """Each table header and each key path assigned, at its first line."""
        headers, keys = self._index["headers"], self._index["keys"]
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
                headers.setdefault(table, (number, line.index("[") + 1))
                continue
            assign = _ASSIGN.match(line)
            if assign:
                full = table + tuple(_unquote(k) for k in assign.group(1).split("."))
                keys.setdefault(full, (number, len(line) - len(line.lstrip()) + 1))


def _in_latest_entry(names: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> tuple[str | int, ...]:
    # [sound.output] after [[sound]] is the output table of the latest sound entry
    for size in range(len(names) - 1, 0, -1):
        if names[:size] in arrays:
            return (*names[:size], arrays[names[:size]], *names[size:])
    return names


def _unquote(text: str) -> str:
    return text.strip().strip("\"'")


def with_int(text: bytes, doc: TomlDoc, table: list[str | int], key: str, value: int, after: str) -> bytes | None:
    """`text` (the bytes `doc` was parsed from) with `key = value` in `table`: the line that
    sets it edited in place, or a new line after the one that sets `after`; every other byte
    as it was, a Windows file's line endings included. None when neither key is in the table."""
    lines = text.decode("utf-8").splitlines(keepends=True)
    found = doc.locate([*table, key])
    if found:
        number = found[0] - 1
        lines[number] = re.sub(rf"({re.escape(key)}\s*=\s*)\d+", rf"\g<1>{value}", lines[number], count=1)
        return "".join(lines).encode("utf-8")
    before = doc.locate([*table, after])
    if before is None:
        return None
    newline = "\r\n" if lines[before[0] - 1].endswith("\r\n") else "\n"
    lines.insert(before[0], f"{key} = {value}{newline}")
    return "".join(lines).encode("utf-8")


def read_toml(path: Path, shown_as: str) -> tuple[TomlDoc | None, list[Problem]]:
    """Parse `path`; on failure return the problems, each naming `shown_as`."""
    try:
        raw = read_regular(path, MAX_BYTES)  # only a regular file: a FIFO would never end
    except TooLarge:
        return None, [Problem(shown_as, "", f"file is over the {MAX_BYTES // 1024} KiB limit",
                              "split it into several descriptors")]
    except OSError as exc:
        return None, [Problem(shown_as, "", f"cannot read: {exc.strerror or exc}",
                              "make it a regular, readable file")]
    try:
        text = raw.decode("utf-8-sig")  # a byte order mark, as Windows editors write, is fine
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown_as, "", f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8", line)]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_syntax_problem(shown_as, exc)]
    except RecursionError:
        return None, [Problem(shown_as, "", "arrays or inline tables nested too deeply to read",
                              f"keep nesting under {MAX_DEPTH} levels")]
    if depth(data) > MAX_DEPTH:
        return None, [Problem(shown_as, "", f"arrays or tables nested more than {MAX_DEPTH} levels deep",
                              f"keep nesting under {MAX_DEPTH} levels")]
    return TomlDoc(data, text.splitlines(), digest(raw)), []


def _syntax_problem(shown_as: str, exc: Exception) -> Problem:
    message = str(exc)
    pos = _TOML_POS.search(message)
    line, column = (int(pos.group(1)), int(pos.group(2))) if pos else (None, None)
    message = _TOML_POS.sub("", message).strip()
    return Problem(shown_as, "", f"TOML syntax error: {message}", "check quotes, brackets and `key = value` form", line, column)
