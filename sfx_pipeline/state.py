"""Per-machine memory keyed by file stats, so a no-op build stats files instead of reading them.

Kept in `.sfx-pipeline/` at the project root (never committed: mtimes differ per clone).
An entry is trusted only while the file's size, mtime and inode are unchanged, and only
if the file was already older than the clock's granularity when it was recorded, the
same guard git uses against edits that land within one timestamp tick.

Two memos use it: output digests (no hashing of unchanged WAVs) and parsed descriptors
(no TOML parsing of unchanged descriptors).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import time
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.hashing import digest
from sfx_pipeline.links import is_link, is_link_at
from sfx_pipeline.untrusted import NOT_A_FILE, Refused, drop_temps, read_regular

_RACY_SECONDS = 2.0
_IGNORE = b"# per-machine state of sfx-pipeline; never commit it\n*\n"


def make_state_dir(folder: Path) -> Path:
    """Create the state folder with the .gitignore that keeps it out of commits, whoever
    creates it first (a build's lock file, a memo), so `git add -A` never picks it up."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        write_atomic(ignore, _IGNORE, durable=False)
    return folder


# A temp file of a state write (atomic.write_atomic): `.<name>.<8 characters>.tmp`
_STATE_TEMP = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$", re.IGNORECASE)
# A live write replaces its temp file within a second or so; one this old was left by a
# process that was killed. (A `status` writes its memos without the build lock, so a
# younger temp may be another process's write in progress.)
ABANDONED_SECONDS = 600


def drop_abandoned_temps(state_dir: Path, now: float | None = None) -> int:
    """Remove the temp files killed processes left in the state folder; how many. Never
    through a state folder replaced by a link."""
    if is_link_at(state_dir):
        return 0
    return drop_temps(state_dir, _STATE_TEMP, (time.time() if now is None else now) - ABANDONED_SECONDS)


MAX_MEMO_BYTES = 1 << 30
MAX_OUTPUT_BYTES = 256 << 20  # a 30 s 96 kHz 24-bit WAV is under 9 MiB; far bigger is not ours


class StatMemo:
    """relative path -> value, valid while the file's stat is unchanged."""

    def __init__(self, path: Path, context: str = "", kept: bool = True) -> None:
        self.path = path
        self.context = context  # anything else the values depend on; a change empties the memo
        self.kept = kept  # False: a memo of this process only, neither read nor written
        self._known: dict[str, list[Any]] = {}
        # relative path -> (a value of `_known`, what its user made of it): see `derived`.
        # Kept only by a memo of a long-lived process (`derives`): elsewhere nothing asks twice.
        self._derived: dict[str, tuple[Any, Any]] = {}
        self.derives = False
        self._dirty = False
        if not kept:
            return
        try:
            loaded = json.loads(read_regular(self.path, MAX_MEMO_BYTES))
        except (OSError, ValueError, RecursionError):
            return  # missing or damaged: an empty memo, rebuilt as files are read
        if isinstance(loaded, dict) and loaded.get("context") == context and isinstance(loaded.get("files"), dict):
            # An entry is [size, mtime_ns, inode, value]; anything else is dropped here, so
            # `recall` never meets a shape it cannot compare. Values are checked by their users.
            self._known = {k: v for k, v in loaded["files"].items() if type(v) is list and len(v) == 4}

    def recall(self, relative: str, st: os.stat_result) -> Any:
        known = self._known.get(relative)
        # Field by field, not a slice against a new list: this runs for every file on every run.
        if known and known[1] == st.st_mtime_ns and known[0] == st.st_size and known[2] == st.st_ino:
            return known[3]
        return None

    def remember(self, relative: str, st: os.stat_result, value: Any) -> None:
        if time.time() - st.st_mtime < _RACY_SECONDS:
            self.forget(relative)  # too fresh to trust: read it again next time
            return
        entry = [st.st_size, st.st_mtime_ns, st.st_ino, value]
        if self._known.get(relative) != entry:
            self._known[relative] = entry
            self._dirty = True

    def derived(self, relative: str, value: Any) -> Any:
        """What `keep_derived` was given for `value`, as long as `value` is still that very
        object (a value is never changed in place: `remember` stores a new one). A long-lived
        process (`watch`, which sets `derives`) then turns each unchanged file's value into
        objects once, not on every plan."""
        made = self._derived.get(relative)
        return made[1] if made is not None and made[0] is value else None

    def keep_derived(self, relative: str, value: Any, made: Any) -> None:
        if self.derives:
            self._derived[relative] = (value, made)

    def forget(self, relative: str) -> None:
        self._derived.pop(relative, None)
        if self._known.pop(relative, None) is not None:
            self._dirty = True

    def keep_only(self, relatives: set[str]) -> None:
        """Drop entries of files that no longer exist, so the memo does not grow forever."""
        for gone in [r for r in self._known if r not in relatives]:  # `_derived` only holds paths of `_known`
            self.forget(gone)

    def save(self) -> str:
        """Write the memo if it changed; "" or why it could not be written. The folder is a
        disposable memo: whatever is in the way inside it is cleared and the write retried
        once, and if it still cannot be written the build goes on without it."""
        if not self._dirty or not self.kept:
            return ""
        doc = json.dumps({"context": self.context, "files": self._known}, sort_keys=True).encode()
        try:
            self._write(doc)
        except OSError:
            clear_in_the_way(self.path)
            try:
                self._write(doc)
            except OSError as exc:
                return f"cannot write {self.path.parent.name}/{self.path.name}: {exc.strerror or exc}"
        self._dirty = False
        return ""

    def _write(self, doc: bytes) -> None:
        if is_link_at(self.path.parent):
            raise Refused(f"{self.path.parent} is a link")  # never write through one
        make_state_dir(self.path.parent)
        write_atomic(self.path, doc, durable=False)


def clear_in_the_way(path: Path) -> None:
    """Make room for a memo file at `path`: our state folder is ours to rebuild. Anything
    but a folder where the state folder should be, and anything but a regular file where the
    file should be, is removed; links are removed themselves, never followed."""
    for candidate in (path.parent, path):
        try:
            st = os.lstat(candidate)
        except OSError:
            continue
        wanted = stat.S_ISDIR if candidate == path.parent else stat.S_ISREG
        try:
            if is_link(st) or not wanted(st.st_mode):  # a FIFO too: opening it would block
                if stat.S_ISDIR(st.st_mode) and not is_link(st):
                    shutil.rmtree(candidate)
                else:
                    candidate.unlink()
        except OSError:
            pass


class FileDigests(StatMemo):
    """Digests of output files."""

    def __init__(self, state_dir: Path, kept: bool = True) -> None:
        super().__init__(state_dir / "digests.json", kept=kept)
        # relative -> ([size, mtime_ns, inode], digest) as last seen, or None when missing:
        # what the no-op snapshot records of the outputs (see noop.py)
        self.observed: dict[str, tuple[list[int], str] | None] = {}

    def digest(self, root: Path, relative: str) -> str | None:
        """Digest of the file's bytes; None when no file is there (a folder counts as none:
        installing over it fails and says so); NOT_A_FILE when what is there is a link, a
        FIFO or a file we cannot read: never ours, so never replaced."""
        path = os.path.join(root, relative)  # plain strings: this runs per output on every build
        self.observed[relative] = None
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:  # too long, a link loop above it, no permission: nothing we may replace
            return NOT_A_FILE
        if S_ISDIR(st.st_mode):
            return None
        if not S_ISREG(st.st_mode):
            return NOT_A_FILE
        known = self.recall(relative, st)
        if isinstance(known, str):
            self._observe(relative, st, known)
            return known
        try:
            value = digest(read_regular(path, MAX_OUTPUT_BYTES, follow=False))
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            return NOT_A_FILE
        self.remember(relative, st, value)
        self._observe(relative, st, value)
        return value

    def _observe(self, relative: str, st: os.stat_result, value: str) -> None:
        self.observed[relative] = ([st.st_size, st.st_mtime_ns, st.st_ino], value)

    def record(self, root: Path, relative: str, value: str) -> None:
        """After writing a file whose digest is already known."""
        try:
            self.remember(relative, os.stat(os.path.join(root, relative)), value)
        except FileNotFoundError:
            self.forget(relative)
