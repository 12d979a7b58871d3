"""Bytes this process did not just write: read and checked here, before anything uses them.

The lock is merged by people, the cache is shared, the state folder and whatever sits at an
output path can be anything: a bad merge, a shared cache or a malicious pull request can put
any bytes, any file type and any link there. The rules kept here:

- Only regular files are read (a FIFO would block forever, a folder is not data), and only
  up to a size limit; structured data is bounded in depth before it is walked.
- A path read from a file is used only in one normal form (`normal_output`): relative,
  '/'-separated, no `.`, `..`, empty or hidden components, a `.wav` name. The lock stores
  that form and every comparison uses it.
- Nothing is written through, or deleted through, a symbolic link: every folder between the
  project root and an output must be a real folder, and the output a regular file or absent
  (`writable_output`). An output is deleted only when its bytes are what the lock says
  sfx-pipeline wrote for that path (`removable_output`).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

from sfx_pipeline.links import is_link
from sfx_pipeline.paths import MAX_NAME, WINDOWS_RESERVED, parts, relative_path_problem

MAX_DEPTH = 32  # nesting no real lock, memo, manifest or descriptor comes near
MAX_OUTPUT_PATH = 240  # characters of a project-relative output path (Windows' MAX_PATH is 260)
NOT_A_FILE = "(not a regular file)"  # the digest given to a link, FIFO or folder at an output path


class Refused(OSError):
    """A path sfx-pipeline will not read, write or delete; the message says why."""


class TooLarge(Refused):
    """A file over the size limit its reader set."""


def read_regular(path: Path | str, limit: int, follow: bool = True) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; OSError (Refused) otherwise.

    Opened non-blocking, so a FIFO is seen (and refused) instead of waiting for a writer.
    `follow=False` refuses a symbolic link at `path` itself (ELOOP, from O_NOFOLLOW)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Refused(f"{os.fspath(path)} is not a regular file")
        if st.st_size > limit:
            raise TooLarge(f"{os.fspath(path)} is over the {limit // 1024} KiB limit")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, max(limit + 1 - size, 1))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise TooLarge(f"{os.fspath(path)} is over the {limit // 1024} KiB limit")
        return b"".join(chunks)
    finally:
        os.close(fd)


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and dicts nest in `value`, counting at most to `limit + 1`.

    Iterative, so a hostile document cannot exhaust the stack while being measured."""
    deepest = 0
    todo: list[tuple[Any, int]] = [(value, 0)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            level += 1
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            # Only containers go on the stack: a lock of 5,000 sounds holds some 250,000 scalars.
            todo.extend((child, level) for child in item if isinstance(child, (dict, list)))
    return deepest


def flat(value: dict[str, Any]) -> bool:
    """No list or dict among the values: depth 1, known without walking."""
    # Exact types, as JSON gives them; a set test over map() runs in C (every lock entry
    # holds three such objects, checked on every run).
    return _CONTAINERS.isdisjoint(map(type, value.values()))


_CONTAINERS = frozenset({dict, list})


def normal_output(text: object) -> str | None:
    """The one normal form of an output path read from a file, or None if it cannot be one.

    `audio//sfx/./x.wav` becomes `audio/sfx/x.wav`; absolute paths, `..`, hidden or
    Windows-invalid components and names that are not `.wav` are refused."""
    if not isinstance(text, str) or len(text) > MAX_OUTPUT_PATH:
        return None
    if _plain_output(text):
        return text  # what the general path below gives it, at a third of the cost
    if relative_path_problem(text):
        return None
    normal = "/".join(parts(text))
    if not normal.lower().endswith(".wav") or normal.lower() == ".wav":
        return None
    return normal


# Letters, digits, '_' and '-' in every component, and a lowercase .wav: the paths a lock
# nearly always holds. Such a path is in normal form, and of all that `relative_path_problem`
# checks only a component's length and Windows' device names can still refuse it.
_PLAIN_OUTPUT = re.compile(r"(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+\.wav")


def _plain_output(text: str) -> bool:
    """Is `text` a plain output path (above) that the general checks accept? Every lock entry's
    path is checked on every run that reads the lock; False sends it down the general path."""
    if not _PLAIN_OUTPUT.fullmatch(text):
        return False
    for part in text.split("/"):
        if len(part) > MAX_NAME or part.partition(".")[0].lower() in WINDOWS_RESERVED:
            return False
    return True


def normal_relative(text: str) -> str:
    """`a//b/./c/` → `a/b/c`, for paths already checked by `relative_path_problem`."""
    return "/".join(parts(text))


def writable_output(root: Path, relative: str) -> Path:
    """root/relative, if sfx-pipeline may create or replace a file there; Refused otherwise.

    Every folder below `root` must be a real folder (or not exist yet) and the file a regular
    file (or not exist): replacing a link would put our WAV where the link pointed in the
    reader's view, and a linked folder leads anywhere, outside the project included."""
    if normal_output(relative) != relative:
        raise Refused(f"{relative!r} is not a project-relative .wav path in normal form")
    path = root
    for i, part in enumerate(relative.split("/")):
        path = path / part
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return root.joinpath(*relative.split("/"))  # the rest is created fresh
        shown = "/".join(relative.split("/")[: i + 1])
        last = i == relative.count("/")
        if is_link(st):
            raise Refused(f"{shown} is a link; sfx-pipeline never writes or deletes through links, "
                          "which can lead outside the project")
        if last and not stat.S_ISREG(st.st_mode):
            raise Refused(f"{shown} is not a regular file")
        if not last and not stat.S_ISDIR(st.st_mode):
            raise Refused(f"{shown} is not a folder")
    return path


# `atomic.write_atomic`'s temp files: "." + target name + "." + mkstemp's 8 random characters
# + ".tmp". Only those of files a build writes (WAVs, Unity .meta files, the lock) match.
_LEFTOVER = re.compile(r"^\..+\.(wav|meta|lock)\.[a-z0-9_]{8}\.tmp$", re.IGNORECASE)


def drop_leftover_temps(root: Path, outputs: set[str]) -> int:
    """Remove temp files a killed build left beside outputs and the lock (the engines could
    import them). Called while holding the project's build lock, so no writer is alive."""
    # Folder names as strings first: thousands of outputs share a few dozen folders.
    folders = {root} | {root.joinpath(*parent.split("/")) for parent in {o.rpartition("/")[0] for o in outputs}}
    removed = 0
    real_root = os.path.realpath(root)  # once: it stats every part of the root's path
    for folder in folders:
        real = os.path.normpath(os.path.join(real_root, os.path.relpath(folder, root)))
        if os.path.realpath(folder) != real:
            continue  # a linked folder on the way: never delete through it
        removed += drop_temps(folder, _LEFTOVER)
    return removed


def drop_temps(folder: Path | str, pattern: re.Pattern[str], before: float | None = None) -> int:
    """Remove the regular files in `folder` whose names end in `.tmp` and match `pattern`
    (and, given `before`, a time.time(), that were last written before it); how many."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        try:
            if (entry.name.endswith(".tmp") and pattern.match(entry.name) and entry.is_file(follow_symlinks=False)
                    and (before is None or entry.stat(follow_symlinks=False).st_mtime < before)):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass
    return removed


def removable_sidecar(path: Path) -> bool:
    """An engine's file beside an output (`.import`, `.meta`): removed only if a regular file."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def check_dict(value: Any, fields: dict[str, type | tuple[type, ...]]) -> str | None:
    """Why `value` is not a dict holding `fields` with those types (bools are not ints)."""
    if not isinstance(value, dict):
        return f"must be an object, got {type(value).__name__}"
    for name, kind in fields.items():
        if name not in value:
            return f"{name} is missing"
        item = value[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(item, bool) and bool not in kinds or not isinstance(item, kinds):
            return f"{name} must be {' or '.join(k.__name__ for k in kinds)}, got {type(item).__name__}"
    return None


def is_hex_key(value: object) -> bool:
    """A digest as `hashing.digest` writes it: 32 lowercase hex digits (also safe as a file name)."""
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)
