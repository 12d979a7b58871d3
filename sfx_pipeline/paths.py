"""Names and paths that are safe on every OS and stay inside the project.

A name that works on Linux can be unwritable on Windows (`con.wav`, `a:b.wav`) or invisible
to the engine (`.hidden.wav` is skipped by both Godot and Unity), so they are refused up
front with the reason rather than failing halfway through a teammate's build.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# Device names Windows reserves, with or without an extension: "Naming Files, Paths, and
# Namespaces" (learn.microsoft.com) lists CON, PRN, AUX, NUL, COM0-9, LPT0-9 and the
# superscript digits ¹²³; CreateFile's documentation adds the console's CONIN$ and CONOUT$.
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", "conin$", "conout$",
                    *(f"{port}{i}" for port in ("com", "lpt") for i in [*"0123456789", "¹", "²", "³"])}
_BAD_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
_DRIVE = re.compile(r"^[A-Za-z]:")
MAX_NAME = 120


# A lock or a project repeats the same few folder names thousands of times: each is judged once.
@lru_cache(maxsize=4096)
def name_problem(name: str) -> str | None:
    """Why `name` cannot be one path component of an output file, or None when it can."""
    if not name or not name.strip():
        return "is empty"
    if name in (".", "..") or ".." in name:
        return "must not contain '..'"
    if "/" in name or "\\" in name:
        return "must not contain '/' or '\\' (use [output] path for subfolders)"
    bad = _BAD_CHARS.search(name)
    if bad:
        return f"contains {bad.group()!r}, which Windows does not allow in file names"
    if name.startswith("."):
        return "starts with '.', so Godot and Unity would ignore the file"
    if name.endswith((".", " ")) or name.startswith(" "):
        return "must not start with a space or end with a dot or space (Windows drops them)"
    stem = name.split(".")[0]
    # Windows drops spaces before the dot (`con .x` is `con`); the caller has named `name`
    # already, so the message says it once
    if stem.rstrip(" ").lower() in WINDOWS_RESERVED:
        return ("is a reserved device name on Windows" if stem == name
                else f"starts with {stem!r}, a reserved device name on Windows")
    if len(name) > MAX_NAME:
        return f"is longer than {MAX_NAME} characters"
    return None


def relative_path_problem(text: str) -> str | None:
    """Why `text` cannot be a project-relative path, or None. Always '/'-separated."""
    if not text.strip():
        return "is empty"
    if text.startswith(("/", "\\")) or _DRIVE.match(text):
        return "must be relative, not absolute"
    if "\\" in text:
        return "must use '/' as the separator, on every OS"
    for part in parts(text):
        if part == "..":
            return "must not contain '..' (it would escape the project)"
        problem = name_problem(part)
        if problem:
            return f"component {part!r} {problem}"
    return None


def parts(relative: str) -> list[str]:
    """The components of a relative '/'-separated path, as PurePosixPath(relative).parts
    gives them (empty and `.` components dropped), at a fraction of its cost: a lock of
    thousands of outputs is checked on every run."""
    return [part for part in relative.split("/") if part and part != "."]


def inside(root: Path, relative: str) -> Path:
    """root / relative, refusing anything that resolves outside root (symlinks included)."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"{relative!r} resolves outside {root}")
    return target


def fold(relative: str) -> str:
    """Comparison form of a path: Windows and macOS file systems ignore case, and macOS
    treats a composed `é` (NFC) and a decomposed one (NFD) as the same name."""
    return unicodedata.normalize("NFC", relative).casefold()
