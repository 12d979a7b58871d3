"""Content-addressed store: key → manifest → blob.

Blobs are named by the digest of their bytes and never overwritten; a manifest names the
blob a key produced. Both are written to a temp file in their own folder and renamed into
place, blob first, so a reader sees either nothing or a whole entry, and two processes
writing the same key at once both succeed. Every blob is re-hashed when read: a corrupt
entry is deleted and reported as missing, so it gets rebuilt and is never installed.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.hashing import digest

KINDS = ("generations", "renders")
_STALE_TEMP_SECONDS = 3600  # temp files older than this belong to a killed process


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

    # blobs -------------------------------------------------------------------------------

    def _blob_path(self, name: str) -> Path:
        return self.root / "blobs" / name[:2] / name

    def put_blob(self, data: bytes) -> str:
        name = digest(data)
        path = self._blob_path(name)
        if not path.exists():  # same name means same bytes: never overwrite
            write_atomic(path, data, durable=False)
        return name

    def read_blob(self, name: str) -> bytes | None:
        path = self._blob_path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        if digest(data) != name:
            path.unlink(missing_ok=True)
            return None
        return data

    # keys --------------------------------------------------------------------------------

    def _manifest_path(self, kind: str, key: str) -> Path:
        return self.root / kind / key[:2] / f"{key}.json"

    def put(self, kind: str, key: str, data: bytes, meta: dict[str, Any]) -> str:
        blob = self.put_blob(data)
        record = {"blob": blob, "size": len(data), "meta": meta}
        write_atomic(self._manifest_path(kind, key), json.dumps(record, sort_keys=True).encode(), durable=False)
        return blob

    def manifest(self, kind: str, key: str) -> dict[str, Any] | None:
        """The manifest alone, without reading or checking the blob (cheap)."""
        try:
            record = json.loads(self._manifest_path(kind, key).read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        return record if isinstance(record, dict) and "blob" in record else None

    def get(self, kind: str, key: str) -> Entry | None:
        record = self.manifest(kind, key)
        if record is None:
            return None
        data = self.read_blob(record["blob"])
        if data is None:  # blob missing or corrupt: the entry is gone, rebuild it
            self._manifest_path(kind, key).unlink(missing_ok=True)
            return None
        _touch(self._manifest_path(kind, key))
        return Entry(data, record.get("meta", {}))

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
            if digest(path.read_bytes()) != path.name:
                path.unlink(missing_ok=True)
                removed.append(f"corrupt blob {path.name}")
        for kind, path in self._manifests():
            record = self.manifest(kind, path.stem)
            if record is None or not self._blob_path(record["blob"]).exists():
                path.unlink(missing_ok=True)
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
            path.unlink(missing_ok=True)
            removed += 1
            refs[blob] -= 1
            if refs[blob] == 0 and blob in sizes:
                size = self._drop_blob(blob, sizes)
                total, freed = total - size, freed + size
        return removed, freed

    def _drop_blob(self, name: str, sizes: dict[str, int]) -> int:
        self._blob_path(name).unlink(missing_ok=True)
        return sizes.pop(name)

    def _drop_stale_temps(self) -> None:
        cutoff = time.time() - _STALE_TEMP_SECONDS
        for path in self.root.glob("*/*/.*.tmp"):
            if _mtime(path) < cutoff:
                path.unlink(missing_ok=True)


def _touch(path: Path) -> None:
    try:
        os.utime(path)  # recency for gc
    except OSError:
        pass  # a read-only shared cache still serves reads


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
