"""`[cache] remote`: a team-wide store of generated audio over plain HTTP.

`GET`, `PUT` and `HEAD` of `<remote>/cas/<generation key>`: the protocol of Bazel's and
ccache's HTTP caches, served by `sfx-pipeline serve` and by any WebDAV server (nginx's dav
module, Apache mod_dav). Each object is one `wire` envelope, verified when read like a
local blob: a corrupt or truncated one is reported and ignored, never installed.

The local cache stays the first stop and keeps a copy of every remote hit, so a sound
fetched once builds offline afterwards. The store is consulted for generated audio only:
rendering from audio takes milliseconds, generating takes a GPU. A store that stops
answering is dropped for the rest of the process after one message; builds go on without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sfx_pipeline.cache import Cache, Entry, pack_generation, unpack_generation
from sfx_pipeline.remote import wire
from sfx_pipeline.remote.backend import token
from sfx_pipeline.remote.http import Client, Retry, Unreachable
from sfx_pipeline.report import Reporter

TIMEOUT = 30.0  # seconds for one object: a few megabytes at most
QUICK = Retry(attempts=2, backoff=0.2)  # a cache must never cost more than it saves


class RemoteStore:
    def __init__(self, url: str, read_only: bool, reporter: Reporter) -> None:
        self.url = url.rstrip("/")
        self.read_only = read_only
        self.reporter = reporter
        self._client = Client(self.url, token(), TIMEOUT, connect_timeout=3.0, retry=QUICK)
        self._down = False
        self._said: set[str] = set()
        self._damaged: set[str] = set()  # keys whose remote copy failed verification: replace them
        self._guard = threading.Lock()
        self.hits = self.misses = self.rejected = self.published = 0

    def fetch(self, key: str) -> wire.Envelope | None:
        """The verified envelope for `key`, or None (absent, damaged, or the store is down)."""
        response = self._ask("GET", key)
        if response is None or response.status == 404:
            self.misses += 1
            return None
        if response.status != 200:
            self._say(f"status {response.status}", f"shared cache {self.url} answered {response.status} to a read: "
                                                   f"{response.error()}; building without it")
            return None
        try:
            envelope = wire.unpack(response.body, key)
        except wire.BadEnvelope as exc:
            self.rejected += 1
            self._damaged.add(key)
            self.reporter.line(f"shared cache: ignored a damaged entry {key} ({exc}); generating it instead")
            return None
        self.hits += 1
        return envelope

    def publish(self, envelope: wire.Envelope) -> None:
        if self.read_only:
            return
        if envelope.key not in self._damaged:
            head = self._ask("HEAD", envelope.key)
            if head is None or head.status == 200:
                return  # down, or already there (same key, same audio)
        response = self._ask("PUT", envelope.key, wire.pack(envelope))
        if response is not None and response.status in (200, 201, 204):
            self.published += 1
        elif response is not None:
            self._say(f"put {response.status}", f"shared cache {self.url} refused a write ({response.status}: "
                                                f"{response.error()}); set read_only = true under [cache] if this "
                                                "machine should only read it")

    def _ask(self, method: str, key: str, body: bytes | None = None) -> Any:
        if self._down:
            return None
        headers = {"Content-Type": "application/octet-stream"} if body is not None else {}
        try:
            return self._client.request(method, f"/cas/{key}", body, headers)
        except Unreachable as exc:
            with self._guard:
                self._down = True
            self._say("down", f"shared cache {self.url} is unreachable ({exc}); building without it")
            return None

    def _say(self, topic: str, text: str) -> None:
        with self._guard:
            if topic in self._said:
                return
            self._said.add(topic)
        self.reporter.line(text)


class SharedCache(Cache):
    """The local cache, with a remote store behind it for generated audio."""

    def __init__(self, root: Path, remote: RemoteStore) -> None:
        super().__init__(root)
        self.remote = remote

    def get(self, kind: str, key: str, belongs: Callable[[bytes], bool] | None = None) -> Entry | None:
        entry = super().get(kind, key, belongs)
        if entry is not None or kind != "generations" or not wire.is_key(key):
            return entry
        envelope = self.remote.fetch(key)
        if envelope is None:
            return None
        data = pack_generation(key, envelope.rate, np.ascontiguousarray(envelope.audio, dtype="<f4").tobytes())
        meta = {"rate": envelope.rate, "samples": len(envelope.audio), "backend": "shared cache",
                "batch": envelope.batch}
        super().put(kind, key, data, meta)  # kept here: the next build needs no network
        fetched = Entry(data, meta)
        return fetched if belongs is None or belongs(data) else None

    def put(self, kind: str, key: str, data: bytes, meta: dict[str, Any]) -> str:
        blob = super().put(kind, key, data, meta)
        unpacked = unpack_generation(key, data) if kind == "generations" and wire.is_key(key) else None
        if unpacked is not None:
            rate, audio = unpacked
            self.remote.publish(wire.Envelope(key, np.frombuffer(audio, dtype="<f4"), rate,
                                              dict(meta.get("batch") or {}), {"backend": str(meta.get("backend", ""))}))
        return blob
