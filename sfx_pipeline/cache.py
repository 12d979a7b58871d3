"""Content-addressed store: key → manifest → blob.

Blobs are named by the digest of their bytes and never overwritten; a manifest names the
blob a key produced. Both are written to a temp file in their own folder and renamed into
place, blob first, so a reader sees either nothing or a whole entry, and two processes
writing the same key at once both succeed. Every blob is re-hashed when read: a corrupt
entry is deleted and reported as missing, so it gets rebuilt and is never installed.

A cache may be shared, or served by someone else, so everything in it is untrusted: a
manifest is checked (`check_record`) before its blob name becomes a path, and a reader can
ask that the blob also belong to its key (`bound`), not only match its own hash. Anything
wrong is a miss. A cache that cannot be written (read-only, full, not a folder) is still
read; `write_error` says why writes were skipped, and the build goes on without them.
"""

from __future__ import annotations

import json
import os
import stat
import struct
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.hashing import digest
from sfx_pipeline.untrusted import MAX_DEPTH, check_dict, depth, is_hex_key, read_regular

KINDS = ("generations", "renders")
_STALE_TEMP_SECONDS = 3600  # temp files older than this belong to a killed process
MAX_MANIFEST = 1 << 20
MAX_BLOB = 1 << 30


@dataclass(frozen=True)
class Entry:
    data: bytes
    meta: dict[str, Any]


@dataclass(frozen=True)
class Stats:
    entries: dict[str, int]
    blobs: int
    bytes: int


class Cache:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.write_error = ""  # why the last write failed ("" while writes succeed)

    # blobs -------------------------------------------------------------------------------

    def _blob_path(self, name: str) -> Path:
        return self.root / "blobs" / name[:2] / name

    def put_blob(self, data: bytes) -> str:
        name = digest(data)
        path = self._blob_path(name)
        if not _is_file(path):  # same name means same bytes: never overwrite
            write_atomic(path, data, durable=False)
        return name

    def read_blob(self, name: str) -> bytes | None:
        if not is_hex_key(name):
            return None
        path = self._blob_path(name)
        try:
            data = read_regular(path, MAX_BLOB)
        except OSError:
            return None
        if digest(data) != name:
            _drop(path)
            return None
        return data

    # keys --------------------------------------------------------------------------------

    def _manifest_path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.json"

    def manifest_path(self, kind: str, key: str) -> Path:
        """Where `manifest` looks: a plan that reads it watches this file's stat (see noop.py)."""
        return self._manifest_path(kind, key)

    def put(self, kind: str, key: str, data: bytes, meta: dict[str, Any]) -> str:
        """Store an entry; the blob's name. A cache that cannot be written is skipped (see
        `write_error`): the caller has the bytes, and a cache is only ever a shortcut."""
        name = digest(data)
        try:
            self.put_blob(data)
            record = {"blob": name, "size": len(data), "meta": meta}
            write_atomic(self._manifest_path(kind, key), json.dumps(record, sort_keys=True).encode(), durable=False)
        except OSError as exc:
            self.write_error = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        return name

    def manifest(self, kind: str, key: str) -> dict[str, Any] | None:
        """The manifest alone, checked, without reading the blob (cheap); None if unusable."""
        if kind not in KINDS or not is_hex_key(key):
            return None
        try:
            record = json.loads(read_regular(self._manifest_path(kind, key), MAX_MANIFEST))
        except (OSError, ValueError, RecursionError):
            return None
        return record if check_record(record) is None else None

    def get(self, kind: str, key: str, belongs: Callable[[bytes], bool] | None = None) -> Entry | None:
        """The entry, or None. `belongs` (see `bound`) checks the bytes are this key's: a
        manifest can point at any valid blob, and a hash only proves a blob is intact."""
        record = self.manifest(kind, key)
        if record is None:
            return None
        data = self.read_blob(record["blob"])
        if data is not None and len(data) == record["size"] and (belongs is None or belongs(data)):
            _touch(self._manifest_path(kind, key))
            return Entry(data, record["meta"])
        _drop(self._manifest_path(kind, key))  # missing, corrupt or not this key's: rebuild it
        return None

    # maintenance -------------------------------------------------------------------------

    def _manifests(self) -> Iterator[tuple[str, Path]]:
        for kind in KINDS:
            for path in (self.root / kind).glob("*/*.json"):
                yield kind, path

    def _blobs(self) -> Iterator[Path]:
        return (p for p in (self.root / "blobs").glob("*/*") if not p.name.startswith("."))

    def stats(self) -> Stats:
        counts = {kind: 0 for kind in KINDS}
        for kind, _ in self._manifests():
            counts[kind] += 1
        blobs = list(self._blobs())
        return Stats(counts, len(blobs), sum(_size(p) for p in blobs))

    def verify(self) -> list[str]:
        """Re-hash every blob; drop corrupt blobs and manifests that point at nothing."""
        removed: list[str] = []
        for path in self._blobs():
            try:
                intact = digest(read_regular(path, MAX_BLOB)) == path.name
            except OSError:
                intact = False
            if not intact:
                _drop(path)
                removed.append(f"corrupt blob {path.name}")
        for kind, path in self._manifests():
            record = self.manifest(kind, path.stem)
            if record is None or not _is_file(self._blob_path(record["blob"])):
                _drop(path)
                removed.append(f"dangling {kind} entry {path.stem}")
        return removed

    def gc(self, max_bytes: int) -> tuple[int, int]:
        """Drop least recently used entries until the blobs fit in `max_bytes`.

        Blobs no entry points at go first. Returns (entries removed, bytes freed)."""
        self._drop_stale_temps()
        entries = []  # (last used, manifest path, blob name)
        refs: Counter[str] = Counter()
        for kind, path in self._manifests():
            record = self.manifest(kind, path.stem)
            blob = record["blob"] if record else ""
            entries.append((_mtime(path), path, blob))
            refs[blob] += 1
        sizes = {p.name: _size(p) for p in self._blobs()}
        freed = 0
        for name in [n for n in sizes if refs[n] == 0]:
            freed += self._drop_blob(name, sizes)
        total, removed = sum(sizes.values()), 0
        for _, path, blob in sorted(entries):
            if total <= max_bytes:
                break
            _drop(path)
            removed += 1
            refs[blob] -= 1
            if refs[blob] == 0 and blob in sizes:
                size = self._drop_blob(blob, sizes)
                total, freed = total - size, freed + size
        return removed, freed

    def _drop_blob(self, name: str, sizes: dict[str, int]) -> int:
        _drop(self._blob_path(name))
        return sizes.pop(name)

    def _drop_stale_temps(self) -> None:
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for path in self.root.glob("*/*/.*.tmp"):
            if _mtime(path) < cutoff:
                _drop(path)


def check_record(record: Any) -> str | None:
    """Why a manifest cannot be used, or None. Checked before its blob name becomes a path:
    a name such as `/home/me/file` would otherwise be read, and deleted as corrupt."""
    if depth(record) > MAX_DEPTH:
        return "nested too deeply"
    why = check_dict(record, {"blob": str, "size": int, "meta": dict})
    if why is None and not is_hex_key(record["blob"]):
        why = "blob is not a digest"
    if why is None and record["size"] < 0:
        why = "size is negative"
    return why


# What a blob must hold to belong to its key, beyond matching its own hash. A render is a
# WAV whose provenance names its render key (and whose audio is untouched); generated audio
# carries its key and rate in a short header (`pack_generation`).
_GENERATION_MAGIC = b"SFXGEN1\n"
_GENERATION_HEAD = struct.Struct("<8s32sI")
MAX_RATE = 384_000


def pack_generation(key: str, rate: int, audio: bytes) -> bytes:
    return _GENERATION_HEAD.pack(_GENERATION_MAGIC, key.encode("ascii"), rate) + audio


def unpack_generation(key: str, data: bytes) -> tuple[int, bytes] | None:
    """(sample rate, float32 little-endian samples) if `data` is generated audio for `key`."""
    if len(data) < _GENERATION_HEAD.size:
        return None
    magic, owner, rate = _GENERATION_HEAD.unpack_from(data)
    audio = data[_GENERATION_HEAD.size:]
    if magic != _GENERATION_MAGIC or owner != key.encode("ascii") or not 0 < rate <= MAX_RATE:
        return None
    if not audio or len(audio) % 4:
        return None
    return rate, audio


def bound(kind: str, key: str) -> Callable[[bytes], bool]:
    """The check that a blob belongs to `key` of `kind` (for `Cache.get`, or any other store)."""
    if kind == "renders":
        from sfx_pipeline.audio.provenance import render_key_of

        return lambda data: render_key_of(data) == key
    return lambda data: unpack_generation(key, data) is not None


def _drop(path: Path) -> None:
    """Remove a cache file, never through a link (a shared cache may hold any)."""
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            path.unlink()
    except OSError:
        pass


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _touch(path: Path) -> None:
    try:
        os.utime(path)  # recency for gc
    except OSError:
        pass  # a read-only shared cache still serves reads


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
