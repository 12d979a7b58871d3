"""A build's progress, one line per finished sound, folded into the lock when it ends.

Rewriting the whole lock after each sound costs time in proportion to the project, so a
first build of 20,000 sounds slowed to a crawl; appending a line costs the same for every
sound. The lock itself is written once, at the end. A build that is killed leaves the
journal behind, and the next survey folds it in, but the state folder is untrusted: an
entry counts only if the file at its path holds exactly the bytes it names and its
provenance names the entry's render key (what sfx-pipeline wrote there, provably).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from sfx_pipeline.audio.provenance import render_key_of
from sfx_pipeline.hashing import digest
from sfx_pipeline.lock import Lock, LockEntry, checked_entry
from sfx_pipeline.state import MAX_OUTPUT_BYTES, make_state_dir
from sfx_pipeline.untrusted import read_regular

NAME = "journal.jsonl"
MAX_BYTES = 1 << 30


class Journal:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / NAME
        self._stream: IO[str] | None = None
        self.failed = False  # appends failed (a read-only or full state folder): flush the lock instead

    def record(self, path: str, entry: LockEntry) -> bool:
        """Append one finished sound; False when the journal cannot be written."""
        if self.failed:
            return False
        try:
            if self._stream is None:
                make_state_dir(self.path.parent)
                self._stream = open(self.path, "a", encoding="utf-8")
            self._stream.write(json.dumps({"path": path, "entry": entry.to_json()}, sort_keys=True) + "\n")
            self._stream.flush()  # in the OS's hands: it survives this process being killed
        except OSError:
            self.failed = True
            return False
        return True

    def close(self, folded: bool) -> None:
        """Stop appending; once the lock holds everything (`folded`), drop the journal."""
        if self._stream is not None:
            try:
                self._stream.close()
            except OSError:
                pass
            self._stream = None
        if folded:
            try:
                self.path.unlink()
            except OSError:
                pass


def replay(state_dir: Path, root: Path, lock: Lock) -> None:
    """Fold a journal a killed build left into `lock` (in memory), entries proven only."""
    try:
        text = read_regular(state_dir / NAME, MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return  # none, or nothing usable: the outputs are recognised by their provenance anyway
    for line in text.splitlines():
        try:
            record = json.loads(line)
            path, entry = checked_entry(record["path"], record["entry"])
        except (ValueError, KeyError, TypeError, RecursionError):
            continue  # a torn last line, or damage
        if lock.assets.get(path) != entry and _proven(root, path, entry):
            lock.assets[path] = entry
            lock.rewrite = True


def _proven(root: Path, path: str, entry: LockEntry) -> bool:
    file = root.joinpath(*path.split("/"))
    try:
        data = read_regular(file, MAX_OUTPUT_BYTES, follow=False)
    except OSError:
        return False
    return digest(data) == entry.output_digest and render_key_of(data) == entry.render_key
