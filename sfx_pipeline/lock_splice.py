"""A few entries of a big lock file rewritten without reading the others.

A build after a few edits writes the lock of a big project this way (cli/build_part.py):
parsing and encoding 50,000 entries costs seconds in Python, and the file is about a
kilobyte an entry. `Splice` finds the changed entries in the file's bytes once; each
write then encodes only those and copies the bytes in between as they are (one copy of
the file), and whether a lock would change the file at all is answered from the changed
entries alone.

Only a file laid out as `Lock.to_json` writes it is spliced: its head and tail, one key
line and one closing line at an entry's indent for each path the file lists, and nothing
else there; anything else gives None, and the caller writes the whole lock instead.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass

from sfx_pipeline.lock import FORMAT, Lock, entry_text, key_text, tail_text

_HEAD = b'{\n  "assets": {\n'
_ASSETS_END = b'\n  },\n'  # between the last entry and the file's other fields
_ENTRY_KEY = b'\n    "'  # an entry's key line; what it nests is further in
_ENTRY_END = b"\n    }"  # ... and its closing line
_SEPARATOR = b",\n"  # between two entries


@dataclass(frozen=True)
class Splice:
    """`text`, a lock file, cut at the entries of some paths."""

    text: bytes
    end: int  # where the asset list ends (_ASSETS_END)
    cuts: tuple[tuple[int, int, str], ...]  # (from, to, path), in the file's order; from == to: where a new entry goes

    @classmethod
    def of(cls, text: bytes, paths: set[str], listed: list[str]) -> Splice | None:
        """The cuts at `paths` in `text`; `listed`: every path the file lists, sorted (a new
        entry goes before the first listed path after it). None when the file is not laid
        out as `to_json` writes it, or lists a path of `paths` elsewhere than at an entry."""
        start, end = len(_HEAD), text.rfind(_ASSETS_END)
        if not text.startswith(_HEAD) or end < start or reproducibility_in(text) is None:
            return None
        # One key line and one closing line at an entry's indent for each listed path, and no
        # more: nothing nested in an entry sits where the search below looks for entries.
        if text.count(_ENTRY_KEY, start - 1, end) != len(listed) or text.count(_ENTRY_END, start, end) != len(listed):
            return None
        cuts: list[tuple[int, int, str]] = []
        for path in sorted(paths):
            span = _entry_span(text, start, end, path)
            if span is None and _listed(path, listed):
                return None  # the file lists it, but not where this layout has it
            at = span[0] if span else _before(text, start, end, path, listed)
            if at is None:
                return None
            cuts.append((at, span[1] if span else at, path))
        cuts.sort()
        if any(later[0] < earlier[1] for earlier, later in zip(cuts, cuts[1:])):
            return None  # two cuts overlap: not the layout this reads
        return cls(text, end, tuple(cuts))

    def keeps(self, lock: Lock) -> bool:
        """Would splicing `lock` in give the text back, byte for byte? (Each cut holds
        `lock`'s entry there as `to_json` writes it, between the separators it writes; none
        is added; the promises are the file's.) Asked of the cuts alone, not by a copy."""
        text = self.text
        if text[self.end + len(_ASSETS_END):] != tail_text(lock.reproducibility).encode():
            return False
        for cut_from, cut_to, path in self.cuts:
            entry = lock.assets.get(path)
            if cut_from == cut_to:  # not in the file: kept so only if `lock` has no entry there either
                if entry is not None:
                    return False
                continue
            if entry is None or text[cut_from:cut_to] != entry_text(path, entry).encode():
                return False
            if cut_from != len(_HEAD) and text[cut_from - len(_SEPARATOR):cut_from] != _SEPARATOR:
                return False
            if cut_to != self.end and text[cut_to:cut_to + len(_SEPARATOR)] != _SEPARATOR:
                return False
        return True

    def applied(self, lock: Lock) -> bytes | None:
        """The text with the entries at the cut paths made what `lock` holds there
        (rewritten, added, or dropped where it has none) and its promises: what `to_json`
        writes for the whole new lock. None when no entry is left (`to_json` writes that
        otherwise)."""
        pieces: list[bytes | memoryview] = []
        pos = len(_HEAD)
        for cut_from, cut_to, path in self.cuts:
            pieces.append(self._between(pos, cut_from))
            entry = lock.assets.get(path)
            if entry is not None:
                pieces.append(entry_text(path, entry).encode())
            pos = cut_to
        pieces.append(self._between(pos, self.end))
        parts: list[bytes | memoryview] = [_HEAD]
        for piece in pieces:
            if len(piece):
                parts += [_SEPARATOR, piece] if len(parts) > 1 else [piece]
        if len(parts) == 1:
            return None
        parts += [_ASSETS_END, tail_text(lock.reproducibility).encode()]
        return b"".join(parts)  # the one copy of the file

    def _between(self, lo: int, hi: int) -> memoryview:
        """The entries from `lo` to `hi`, without the separators at either end."""
        text = self.text
        while lo < hi and text[lo] in _SEPARATOR:
            lo += 1
        while hi > lo and text[hi - 1] in _SEPARATOR:
            hi -= 1
        return memoryview(text)[lo:hi]


def spliced(text: bytes, lock: Lock, paths: set[str], listed: list[str]) -> bytes | None:
    """`text` with the entries at `paths` made what `lock` holds there, and its promises;
    None where it cannot be spliced (see `Splice`)."""
    splice = Splice.of(text, paths, listed)
    return None if splice is None else splice.applied(lock)


def reproducibility_in(text: bytes) -> dict[str, str] | None:
    """What the lock file `text` records of each backend's promise, read from its end
    alone; None when that end is not what `to_json` writes there."""
    end = text.rfind(_ASSETS_END)
    if end < 0:
        return None
    tail = text[end + len(_ASSETS_END):]
    try:
        doc = json.loads(b"{\n" + tail)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or set(doc) != {"format", "reproducibility"}:
        return None
    promises = doc["reproducibility"]
    if not isinstance(promises, dict) or not all(isinstance(v, str) for v in promises.values()):
        return None
    return promises if tail == tail_text(promises).encode() else None


def _listed(path: str, listed: list[str]) -> bool:
    at = bisect.bisect_left(listed, path)
    return at < len(listed) and listed[at] == path


def entry_in(text: bytes, path: str) -> bytes | None:
    """The JSON object of the entry at `path` in a lock file's text, found by its key line
    alone (as `to_json` indents it); None if the text has that line not exactly once."""
    span = _entry_span(text, 1, len(text), path)  # (it looks from the newline before `start`)
    return None if span is None else text[span[0] + len(key_text(path).encode()):span[1]]


def _entry_span(text: bytes, start: int, end: int, path: str) -> tuple[int, int] | None:
    """Where the entry at `path` is, from its key's indent to its closing brace; None if the
    file has it not exactly once."""
    key = f"\n{key_text(path)}{{".encode()
    at = text.find(key, start - 1, end) + 1
    if at == 0 or text.find(key, at, end) >= 0:
        return None
    close = text.find(_ENTRY_END, at, end + 1)
    return None if close < 0 else (at, close + len(_ENTRY_END))


def _before(text: bytes, start: int, end: int, path: str, listed: list[str]) -> int | None:
    """Where a new entry at `path` goes: at the first listed path after it, else at the end."""
    after = bisect.bisect_right(listed, path)
    if after == len(listed):
        return end
    span = _entry_span(text, start, end, listed[after])
    return None if span is None else span[0]
