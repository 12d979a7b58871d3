"""What the HTTP layer calls: token check, per-client caps, one generation per key.

Framework-free asyncio, so the same object runs under uvicorn (`sfx-pipeline serve`) and
inside a Ray Serve replica. A sound already in the store is answered from it; a sound
being generated for one client is awaited by the next one that asks (two laptops asking
for the same sound get it from one generation); anything else becomes a ticket for the
engine, whose thread hands the result back to the event loop.
"""

from __future__ import annotations

import asyncio
import hmac
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sfx_pipeline.generators.base import Generated, Job
from sfx_pipeline.remote import wire
from sfx_pipeline.serve.engine import Engine, Ticket
from sfx_pipeline.serve.intake import Refusal, job_from
from sfx_pipeline.serve.store import EnvelopeStore


@dataclass(frozen=True)
class Limits:
    max_seconds: float = 10.0  # longest sound served (AudioGen's window; longer ones decode alone)
    max_in_flight: int = 64  # sounds one client may have waiting or decoding at once
    max_queue: int = 4096  # sounds waiting in all; past it, 503 and the client backs off
    max_request: int = 64 * 1024  # bytes of a generate request
    max_upload: int = 64 * 1024 * 1024  # bytes of a /cas PUT
    cas: str = "read-write"  # read-write | read-only | off


class Service:
    def __init__(self, engine: Engine, store: EnvelopeStore, token: str, limits: Limits) -> None:
        self.engine, self.store, self.limits = engine, store, limits
        self._token = token.encode()
        self._inflight: dict[str, asyncio.Future[Generated]] = {}
        self._per_client: Counter[str] = Counter()
        self.served: Counter[str] = Counter()  # generated | stored | joined
        self.refused: Counter[int] = Counter()  # by status code

    # checks -------------------------------------------------------------------------------

    def authorize(self, header: str | None) -> None:
        scheme, _, given = (header or "").partition(" ")
        # hmac.compare_digest takes the same time wherever the first difference is (Python docs, hmac).
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self._token):
            raise Refusal(401, "missing or wrong bearer token",
                          f"send Authorization: Bearer <token>; builds read it from {wire.CLIENT_TOKEN_ENV}",
                          {"WWW-Authenticate": 'Bearer realm="sfx-pipeline"'})

    def ready_or_refuse(self) -> None:
        if self.engine.load_error:
            raise Refusal(503, f"the model failed to load: {self.engine.load_error}", "see the server's log")
        if not self.engine.ready.is_set():
            raise Refusal(503, "the model is still loading", "retry in a few seconds", {"Retry-After": "2"})

    @contextmanager
    def slot_for(self, client: str) -> Iterator[None]:
        if self._per_client[client] >= self.limits.max_in_flight:
            raise Refusal(429, f"{self.limits.max_in_flight} sounds from this client are already in flight",
                          "send fewer at once (GET /v1/info says how many)", {"Retry-After": "1"})
        self._per_client[client] += 1
        try:
            yield
        finally:
            self._per_client[client] -= 1
            if not self._per_client[client]:
                del self._per_client[client]

    # generating ---------------------------------------------------------------------------

    async def generate(self, body: Any) -> bytes:
        """The envelope for the requested sound; raises Refusal."""
        self.ready_or_refuse()
        job = job_from(body, self.engine.generator, self.limits.max_seconds)
        stored = await asyncio.to_thread(self.store.get, job.key)
        if stored is not None:
            self.served["stored"] += 1
            return stored
        future = self._inflight.get(job.key)
        if future is None:
            if self.engine.waiting() >= self.limits.max_queue:
                raise Refusal(503, f"{self.limits.max_queue} sounds are already waiting", "retry later",
                              {"Retry-After": "5"})
            future = self._start(job)
            self.served["generated"] += 1
        else:
            self.served["joined"] += 1
        result = await asyncio.shield(future)  # a client that hangs up must not cancel the others' sound
        if result.audio is None:
            raise Refusal(500, result.error or "generation failed", "see the server's log")
        return wire.pack(self._envelope(result))

    def _start(self, job: Job) -> asyncio.Future[Generated]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Generated] = loop.create_future()
        self._inflight[job.key] = future

        def deliver(result: Generated) -> None:  # on the engine's thread
            loop.call_soon_threadsafe(self._finish, job.key, future, result)

        from sfx_pipeline.generators.audiogen.fast.jobs import request_for

        self.engine.submit(Ticket(job, deliver, request_for(job)))
        return future

    def _finish(self, key: str, future: asyncio.Future[Generated], result: Generated) -> None:
        if result.audio is not None:
            data = wire.pack(self._envelope(result))
            try:
                self.store.put(key, data)  # before the key leaves _inflight: a later ask finds one or the other
            except OSError as exc:
                self.engine.reporter.line(f"serve: cannot store {key}: {exc}")
        self._inflight.pop(key, None)
        if not future.done():
            future.set_result(result)

    def _envelope(self, result: Generated) -> wire.Envelope:
        assert result.audio is not None
        generator = self.engine.generator
        provenance = {"backend": generator.name, "model": generator.identity(), "model_name": generator.model,
                      "decoder": str(result.info.get("decoder", generator.decoder)), "algorithm": generator.version}
        return wire.Envelope(result.job.key, result.audio, result.rate, dict(result.info), provenance)

    # the shared cache -----------------------------------------------------------------------

    def cas_get(self, key: str) -> bytes | None:
        self._cas_allowed(write=False)
        return self.store.get(_key(key))

    def cas_has(self, key: str) -> bool:
        self._cas_allowed(write=False)
        return self.store.has(_key(key))

    def cas_put(self, key: str, data: bytes) -> bool:
        self._cas_allowed(write=True)
        try:
            return self.store.put(_key(key), data)
        except wire.BadEnvelope as exc:
            raise Refusal(400, f"not a whole envelope for {key}: {exc}",
                          "upload what `GET /cas/<key>` returns; the build does this itself") from None

    def _cas_allowed(self, write: bool) -> None:
        if self.limits.cas == "off":
            raise Refusal(404, "this server does not share a cache", "start it without --cas off")
        if write and self.limits.cas == "read-only":
            raise Refusal(403, "this server's cache is read-only", 'set read_only = true under [cache]')

    def info(self) -> dict[str, Any]:
        generator = self.engine.generator
        return {"server": "sfx-pipeline", "protocol": wire.PROTOCOL, "backend": generator.name,
                "model": generator.model, "identity": generator.identity(), "decoder": generator.decoder,
                "precision": str(generator.ctx.settings.get("precision") or "auto"),
                "algorithm": generator.version, "reproducibility": generator.reproducibility(),
                "max_seconds": self.limits.max_seconds, "max_in_flight": self.limits.max_in_flight,
                "cas": self.limits.cas, "ready": self.engine.ready.is_set()}


def _key(key: str) -> str:
    if not wire.is_key(key):
        raise Refusal(400, f"{key[:40]!r} is not a key", "keys are 32 lowercase hex digits")
    return key
