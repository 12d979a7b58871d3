"""The server's side of `/cas/<key>`: envelopes in a folder, checked on the way in and out.

One file per key, `<root>/<key[:2]>/<key>`, written to a temp file beside it and renamed
(`atomic.write_atomic`), so a reader sees a whole envelope or none. A `PUT` is verified
before it is stored (`wire.unpack`: its key, size and digest), so a damaged upload is
refused, not served; a file damaged on disk later is deleted when read and reported missing.
Keys are 32 hex digits, checked before any path is made: no request names another file.
"""

from __future__ import annotations

from pathlib import Path

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.remote import wire
from sfx_pipeline.untrusted import read_regular

MAX_ENVELOPE = 256 * 1024 * 1024  # a 30 s sound at 384 kHz is 46 MB; anything near this is not ours


class EnvelopeStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not wire.is_key(key):
            raise ValueError(f"not a key: {key[:40]!r}")
        return self.root / key[:2] / key

    def has(self, key: str) -> bool:
        return self.get(key) is not None  # a damaged file is no entry

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            data = read_regular(path, MAX_ENVELOPE, follow=False)  # never through a link someone put there
        except OSError:
            return None  # none, or a link, a folder, a file over the limit: not an entry this store wrote
        try:
            wire.unpack(data, key)
        except wire.BadEnvelope:
            path.unlink(missing_ok=True)  # damaged at rest (a regular file, checked above): gone, made again
            return None
        return data

    def put(self, key: str, data: bytes) -> bool:
        """Store a verified envelope; False when a whole one was already there (same key, same
        audio). Raises wire.BadEnvelope for bytes that are not a whole envelope of `key`."""
        wire.unpack(data, key)
        path = self._path(key)
        if self.get(key) is not None:  # a damaged one is dropped by get and replaced here
            return False
        write_atomic(path, data, durable=False)
        return True
