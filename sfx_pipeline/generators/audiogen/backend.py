"""AudioGen as a backend: batches on the GPU, one model load per process, OOM handled."""

from __future__ import annotations

import time
from typing import Any, Iterator, Sequence

from sfx_pipeline.descriptor import SoundSpec
from sfx_pipeline.generators import Context, Generated, Job
from sfx_pipeline.generators.audiogen import batching
from sfx_pipeline.generators.audiogen.batching import FRAME_RATE, Batch, params_of, plan_batches
from sfx_pipeline.generators.audiogen.identity import model_identity
from sfx_pipeline.report import Reporter

VERSION = "audiocraft-1"  # this decode path; part of the generation key


class AudioGenGenerator:
    name = "audiogen"
    version = VERSION
    placeholder = False

    def __init__(self, ctx: Context, model: str, identity: str | None = None) -> None:
        self.ctx = ctx
        self.model = model
        self._identity = identity  # None: look it up (hub commit or folder digest) when first needed
        self._loaded: Any = None  # runtime.Loaded, created on first use
        self._limit: int | None = None  # the largest batch known to fit, after an OOM

    # planning (no torch) -------------------------------------------------------------

    def identity(self) -> str:
        if self._identity is None:
            self._identity = model_identity(self.model, self.ctx.cache_dir)
        return self._identity

    def key_fields(self, spec: SoundSpec) -> dict[str, Any]:
        p = params_of(spec)
        return {"model": self.identity(), "frame_rate": FRAME_RATE, "frames": p.frames, "temperature": p.temperature,
                "top_k": p.top_k, "top_p": p.top_p, "cfg_coef": p.cfg_coef}

    def reproducibility(self) -> str:
        return ("batch-dependent: the same build on the same software and GPU gives the same audio, but a sound "
                "generated in another batch (with other stale sounds) may differ; each asset's batch is recorded")

    # generating ----------------------------------------------------------------------

    def loaded(self) -> Any:
        if self._loaded is None:
            from sfx_pipeline.generators.audiogen import runtime

            self._loaded = runtime.load(self.model, self.ctx.settings["device"], self.ctx.reporter)
        return self._loaded

    def run(self, jobs: Sequence[Job], reporter: Reporter) -> Iterator[Generated]:
        loaded = self.loaded()
        queue = plan_batches(list(jobs), self._max_batch(loaded, jobs))
        reporter.line(f"AudioGen: {len(jobs)} sounds in {len(queue)} batches "
                      f"(sizes {', '.join(str(len(b.jobs)) for b in queue)})")
        started, audio_seconds, done = time.perf_counter(), 0.0, 0
        while queue:
            batch = queue.pop(0)
            if self._limit and len(batch.jobs) > self._limit:  # an earlier batch ran out of memory
                queue[:0] = batch.halves()
                continue
            label = f"{done}/{len(jobs)} sounds, batch of {len(batch.jobs)}"
            for result in self._attempt(batch, queue, label, reporter):
                done += 1
                audio_seconds += len(result.audio) / result.rate if result.audio is not None else 0.0
                yield result
        elapsed = time.perf_counter() - started
        reporter.line(f"AudioGen: {audio_seconds:.1f} s of audio in {elapsed:.1f} s "
                      f"({audio_seconds / max(elapsed, 1e-9):.2f} s of audio per second)")

    def _max_batch(self, loaded: Any, jobs: Sequence[Job]) -> int:
        from sfx_pipeline.generators.audiogen import runtime

        configured = int(self.ctx.settings.get("max_batch_size") or 0)
        longest = max(batching.frames_for(j.spec.duration) for j in jobs)
        size = configured or runtime.auto_batch_size(loaded, longest)
        return min(size, self._limit) if self._limit else size

    def _attempt(self, batch: Batch, queue: list[Batch], label: str, reporter: Reporter) -> Iterator[Generated]:
        """Generate one batch; on out-of-memory, halve it back onto the queue."""
        from sfx_pipeline.generators.audiogen import runtime

        loaded = self.loaded()
        try:
            audio = runtime.generate(loaded, [j.spec.prompt for j in batch.jobs], batch.params, batch.seed,
                                     lambda step, steps: reporter.progress(step, steps, label))
        except Exception as exc:  # noqa: BLE001 - one failed batch must not end the build
            reporter.done()
            if not runtime.is_out_of_memory(exc):
                yield from self._failed(batch, f"AudioGen failed: {type(exc).__name__}: {exc}")
                return
            runtime.free_memory()
            if len(batch.jobs) == 1:
                yield from self._failed(batch, f"out of GPU memory even alone ({batch.params.seconds:.1f} s clip); "
                                               "shorten it or free GPU memory")
                return
            self._limit = (len(batch.jobs) + 1) // 2
            reporter.line(f"out of GPU memory at batch size {len(batch.jobs)}; retrying in batches of {self._limit}")
            queue[:0] = batch.halves()
            return
        reporter.done()
        info = {"size": len(batch.jobs), "seed": batch.seed}
        for position, (job, row) in enumerate(zip(batch.jobs, audio)):
            yield Generated(job, row, loaded.sample_rate, info={**info, "position": position})

    def _failed(self, batch: Batch, message: str) -> Iterator[Generated]:
        for job in batch.jobs:
            yield Generated(job, None, 0, error=message)
