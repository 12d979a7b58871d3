"""Targets → finished WAV bytes, from the cheapest source that has them.

A render already in the cache is used as is; audio already generated is rendered again
(a fade change costs milliseconds); only what no cache has goes to a backend, grouped by
backend instance (backend and model) and deduplicated by generation key. Results are
yielded as they are ready, so callers install each one before waiting on the next batch.
`build` installs them into the project; `audition` writes takes to a side folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from sfx_pipeline.audio.render import render
from sfx_pipeline.cache import Cache, bound, pack_generation, unpack_generation
from sfx_pipeline.errors import ModelUnavailable
from sfx_pipeline.generators import Generated, Generator, Generators, Job
from sfx_pipeline.report import Reporter
from sfx_pipeline.sound import Target
from sfx_pipeline.states import Outcome


@dataclass(frozen=True)
class Produced:
    target: Target
    data: bytes | None  # the WAV, or None when this target failed
    outcome: Outcome = Outcome.GENERATED  # or Outcome.CACHED: the audio or the render came from the cache
    batch: dict[str, Any] = field(default_factory=dict)  # how its audio was generated
    note: str = ""  # for the person building, e.g. a loudness target not reached
    error: str = ""
    # What its backend promises about rebuilding it (`Generator.reproducibility`), for the
    # lock: asked of the backend right after it generated this audio, when it knows the
    # device and decoder it ran on, and kept beside the audio in the cache for later builds.
    reproducibility: str = ""


@dataclass
class Totals:
    audio_seconds: float = 0.0  # of newly generated audio
    generate_seconds: float = 0.0


class Producer:
    def __init__(self, cache: Cache, generators: Generators, reporter: Reporter) -> None:
        self.cache = cache
        self.generators = generators
        self.reporter = reporter
        self.totals = Totals()
        self._warned = False

    def produce(self, targets: list[Target]) -> Iterator[Produced]:
        pending: dict[str, list[Target]] = {}  # generation key -> targets sharing that audio
        for t in targets:
            ready = self._from_cache(t)
            if ready is not None:
                yield ready
            else:
                pending.setdefault(t.generation_key, []).append(t)
        by_generator: dict[int, tuple[Generator, list[Job]]] = {}
        for key, group in pending.items():
            generator = self.generators.for_spec(group[0].spec)
            by_generator.setdefault(id(generator), (generator, []))[1].append(Job(group[0].spec, key))
        for generator, jobs in by_generator.values():
            yield from self._generate(generator, jobs, pending)

    def _from_cache(self, t: Target) -> Produced | None:
        rendered = self.cache.get("renders", t.render_key, bound("renders", t.render_key))
        if rendered is not None:
            notes = [n for n in _listed(rendered.meta.get("notes")) if isinstance(n, str)]
            return Produced(t, rendered.data, Outcome.CACHED, _table(rendered.meta.get("batch")), "; ".join(notes),
                            reproducibility=self._promise(t, rendered.meta))
        generated = self.cache.get("generations", t.generation_key, bound("generations", t.generation_key))
        if generated is not None:
            rate, samples = unpack_generation(t.generation_key, generated.data) or (0, b"")
            audio = np.frombuffer(samples, dtype="<f4")
            if np.isfinite(audio).all():  # anything else is not audio a backend made: regenerate
                return self._render(t, audio, rate, Outcome.CACHED, _table(generated.meta.get("batch")),
                                    self._promise(t, generated.meta))
        return None

    def _generate(self, generator: Generator, jobs: list[Job], pending: dict[str, list[Target]]) -> Iterator[Produced]:
        started = time.perf_counter()
        try:
            for done in self._run(generator, jobs):
                group = pending.pop(done.job.key)
                if done.audio is None:
                    yield from (Produced(t, None, error=done.error or "generation failed") for t in group)
                    continue
                promise = generator.reproducibility()  # now that it has run: the device, the decoder that worked
                self._store(done, promise)
                yield from (self._render(t, done.audio, done.rate, Outcome.GENERATED, done.info, promise)
                            for t in group)
        finally:
            self.totals.generate_seconds += time.perf_counter() - started
        for key in [j.key for j in jobs if j.key in pending]:  # a backend that stopped early loses nothing silently
            yield from (Produced(t, None, error="the generator returned no audio for it") for t in pending.pop(key))

    def _run(self, generator: Generator, jobs: list[Job]) -> Iterator[Generated]:
        """The backend's results; if it cannot load, every job fails with the reason, once
        said, and the other backends' sounds still build."""
        try:
            yield from generator.run(jobs, self.reporter)
        except ModelUnavailable as exc:
            self.reporter.line(f"error: {exc}")
            yield from (Generated(job, None, 0, error=f"{generator.name} could not load: {exc.message}") for job in jobs)

    def _promise(self, t: Target, meta: dict[str, Any]) -> str:
        """For audio from the cache: what its backend said when it generated it, stored beside
        it; else (an entry from the team's store, or from an older version) what the backend
        says now, before generating anything."""
        said = meta.get("reproducibility")
        return said if isinstance(said, str) and said else self.generators.promise(t)

    def _store(self, done: Generated, promise: str) -> None:
        audio = np.ascontiguousarray(done.audio, dtype="<f4")
        meta = {"rate": done.rate, "samples": len(audio), "backend": done.job.spec.backend, "batch": done.info,
                "reproducibility": promise}
        self.cache.put("generations", done.job.key, pack_generation(done.job.key, done.rate, audio.tobytes()), meta)
        self._warn_once()
        self.totals.audio_seconds += len(audio) / done.rate

    def _warn_once(self) -> None:
        if self.cache.write_error and not self._warned:
            self._warned = True
            self.reporter.line(f"warning: cannot write to the cache at {self.cache.root} ({self.cache.write_error}); "
                               "sounds still install, but this build caches nothing")

    def _render(self, t: Target, audio: np.ndarray, rate: int, outcome: Outcome, batch: dict[str, Any],
                promise: str) -> Produced:
        trace = {"seed": str(t.spec.seed), "backend": t.backend, "model": str(t.generation.get("model", "-")),
                 "generation": t.generation_key, "render": t.render_key}
        try:
            done = render(audio, rate, t.spec, int(t.render_key[:8], 16), trace)
        except ValueError as exc:
            return Produced(t, None, error=f"render failed: {exc}")
        self.cache.put("renders", t.render_key, done.data,
                       {"batch": batch, "notes": list(done.notes), "reproducibility": promise})
        self._warn_once()
        return Produced(t, done.data, outcome, batch, "; ".join(done.notes), reproducibility=promise)


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _listed(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
