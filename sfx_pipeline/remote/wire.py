"""What travels between a build and a server: one self-checking envelope per generated sound.

The same bytes answer `POST /v1/generate`, sit in the shared cache at `/cas/<key>`, and are
what any WebDAV server stores: a magic line, one line of JSON, then the audio.

    SFXGEN1\\n
    {"key": ..., "size": ..., "digest": ..., "rate": ..., "samples": ..., "batch": {...}, "provenance": {...}}\\n
    <size bytes: float32 little-endian mono audio at `rate`>

`digest` is the xxh3-128 of the audio bytes, the digest the local cache names its blobs by,
so an envelope is verified exactly as a local blob is: a truncated, corrupt or foreign
envelope (another key's, a proxy's error page) is rejected as a whole, never installed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sfx_pipeline.hashing import digest
from sfx_pipeline.remote.names import CLIENT_TOKEN_ENV as CLIENT_TOKEN_ENV  # re-exported
from sfx_pipeline.remote.names import DEFAULT_PORT as DEFAULT_PORT
from sfx_pipeline.remote.names import SERVE_TOKEN_ENV as SERVE_TOKEN_ENV
from sfx_pipeline.untrusted import is_hex_key

MAGIC = b"SFXGEN1\n"
PROTOCOL = 1
MAX_HEADER = 64 * 1024  # bytes of JSON before the audio; a real header is a few hundred



class BadEnvelope(ValueError):
    """Bytes that are not a whole, matching envelope."""


@dataclass(frozen=True)
class Envelope:
    key: str
    audio: np.ndarray  # float32 mono
    rate: int
    batch: dict[str, Any] = field(default_factory=dict)  # how it was generated, as the lock records it
    provenance: dict[str, Any] = field(default_factory=dict)  # backend, model identity, decoder, algorithm


def is_key(text: object) -> bool:
    """An xxh3-128 key: anything else never reaches a path or a URL."""
    return is_hex_key(text)


def pack(envelope: Envelope) -> bytes:
    audio = np.ascontiguousarray(envelope.audio, dtype="<f4").tobytes()
    header = {"key": envelope.key, "size": len(audio), "digest": digest(audio), "rate": envelope.rate,
              "samples": len(audio) // 4, "batch": envelope.batch, "provenance": envelope.provenance}
    return MAGIC + json.dumps(header, sort_keys=True, separators=(",", ":")).encode() + b"\n" + audio


def unpack(data: bytes, key: str) -> Envelope:
    """The envelope for `key` in `data`; raises BadEnvelope saying what is wrong."""
    if not data.startswith(MAGIC):
        raise BadEnvelope("not an sfx-pipeline envelope (wrong first bytes)")
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + MAX_HEADER)
    if end < 0:
        raise BadEnvelope("no complete header")
    try:
        header = json.loads(data[len(MAGIC):end])
    except ValueError as exc:
        raise BadEnvelope(f"unreadable header: {exc}") from exc
    if not isinstance(header, dict):
        raise BadEnvelope("the header is not a JSON object")
    audio = data[end + 1:]
    _check(header, key, audio)
    return Envelope(key, np.frombuffer(audio, dtype="<f4"), int(header["rate"]), dict(header.get("batch") or {}),
                    dict(header.get("provenance") or {}))


def _check(header: dict[str, Any], key: str, audio: bytes) -> None:
    if header.get("key") != key:
        raise BadEnvelope(f"it holds key {str(header.get('key'))[:40]!r}, not {key}")
    size, rate = header.get("size"), header.get("rate")
    if not isinstance(size, int) or size != len(audio):
        raise BadEnvelope(f"truncated or padded: {len(audio)} bytes of audio, the header says {size}")
    if size == 0 or size % 4:
        raise BadEnvelope(f"{size} bytes is not whole float32 samples")
    if not isinstance(rate, int) or not 1000 <= rate <= 384000:
        raise BadEnvelope(f"sample rate {rate!r} is not a plausible rate")
    if header.get("digest") != digest(audio):
        raise BadEnvelope("the audio does not match its digest (corrupt)")
    for name in ("batch", "provenance"):
        if not isinstance(header.get(name, {}), dict):
            raise BadEnvelope(f"{name} is not a JSON object")
