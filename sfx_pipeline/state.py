"""Per-machine memory of output digests, so a no-op build stats files instead of hashing them.

Kept in `.sfx-pipeline/` at the project root (never committed: mtimes differ per clone).
An entry is trusted only while the file's size, mtime and inode are unchanged, and only
if the file was already older than the clock's granularity when it was recorded, the
same guard git uses against edits that land within one timestamp tick.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.keys import digest

_RACY_SECONDS = 2.0


class FileDigests:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "digests.json"
        self._known: dict[str, list[int | str]] = {}
        self._dirty = False
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self._known = loaded
        except (FileNotFoundError, ValueError):
            pass

    def digest(self, root: Path, relative: str) -> str | None:
        """Digest of the file's bytes, or None when it does not exist."""
        path = root / relative
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        known = self._known.get(relative)
        if known and known[:3] == [st.st_size, st.st_mtime_ns, st.st_ino]:
            return str(known[3])
        try:
            value = digest(path.read_bytes())
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            return None
        self._remember(relative, st, value)
        return value

    def record(self, root: Path, relative: str, value: str) -> None:
        """After writing a file whose digest is already known."""
        try:
            self._remember(relative, (root / relative).stat(), value)
        except FileNotFoundError:
            self.forget(relative)

    def forget(self, relative: str) -> None:
        if self._known.pop(relative, None) is not None:
            self._dirty = True

    def _remember(self, relative: str, st: os.stat_result, value: str) -> None:
        if time.time() - st.st_mtime < _RACY_SECONDS:
            self.forget(relative)  # too fresh to trust: hash again next time
            return
        entry: list[int | str] = [st.st_size, st.st_mtime_ns, st.st_ino, value]
        if self._known.get(relative) != entry:
            self._known[relative] = entry
            self._dirty = True

    def save(self) -> None:
        if self._dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# per-machine state of sfx-pipeline; never commit it\n*\n", encoding="utf-8")
            write_atomic(self.path, json.dumps(self._known, sort_keys=True).encode(), durable=False)
            self._dirty = False
