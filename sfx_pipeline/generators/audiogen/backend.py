"""AudioGen as a backend: one model load per process, the fast decoder or stock batches, OOM handled.

`[generator] decoder` picks the decode loop, and with it the algorithm version in every
generation key (switching regenerates):

- "fast" (default): `fast.decoder.FastDecoder`. Each asset is seeded from its own seed and
  key and sampled with its own parameters, so the planner does not group anything and an
  asset sounds the same whatever else is stale. Clips longer than the model's window
  (10 s) use audiocraft's windowed continuation, one asset per call with the same seed, so
  they are batch-independent too, only slower.
- "audiocraft": stock `AudioGen.generate` on batches of assets that agree on length and
  parameters, seeded per batch (`batching`).
"""

from __future__ import annotations

import time
from typing import Any, Iterator, Sequence

from sfx_pipeline.generators.audiogen.batching import FRAME_RATE, Batch, asset_seed, params_of, plan_batches
from sfx_pipeline.generators.audiogen.identity import model_identity
from sfx_pipeline.generators.base import Context, Generated, Job
from sfx_pipeline.report import Reporter
from sfx_pipeline.sound import SoundSpec

VERSIONS = {"fast": "fast-1", "audiocraft": "audiocraft-1"}  # part of the generation key

BATCH_DEPENDENT = ("batch-dependent: the same build on the same software and GPU gives the same audio, but a sound "
                   "generated in another batch (with other stale sounds) may differ; each asset's batch is recorded")
BATCH_INDEPENDENT = ("batch-independent: each sound is sampled from its own random stream, seeded by its seed and "
                     "generation key, and computed in fixed-size blocks on the CPU, so on the same software it is "
                     "bit-identical whatever other sounds were generated with it")
SEEDED_PER_SOUND = ("seeded per sound, not batch-invariant on a GPU: each sound has its own random stream, but fp16 "
                    "arithmetic rounds differently with the number of sounds decoded together, and once a sampled "
                    "token differs the clip follows another path, so a sound regenerated among other sounds may "
                    "differ (a benchmark on an H200: 11 % of tokens equal among 64 others)")


class AudioGenGenerator:
    name = "audiogen"
    placeholder = False

    def __init__(self, ctx: Context, model: str, identity: str | None = None) -> None:
        self.ctx = ctx
        self.model = model
        self.decoder = str(ctx.settings.get("decoder") or "fast")
        self.version = VERSIONS[self.decoder]
        self._identity = identity  # None: look it up (hub commit or folder digest) when first needed
        self._loaded: Any = None  # runtime.Loaded, created on first use
        self._memory: Any = None  # memory.MemoryPolicy, made with the loaded model
        self._fast_ok: bool | None = None  # whether the fast decoder runs this model (known once loaded)

    # planning (no torch) -------------------------------------------------------------

    def identity(self) -> str:
        if self._identity is None:
            self._identity = model_identity(self.model, self.ctx.cache_dir)
        return self._identity

    def key_fields(self, spec: SoundSpec) -> dict[str, Any]:
        p = params_of(spec)
        return {"model": self.identity(), "frame_rate": FRAME_RATE, "frames": p.frames, **vars(p.sampling)}

    def reproducibility(self) -> str:
        if self.decoder != "fast" or self._fast_ok is False:
            return BATCH_DEPENDENT
        on_cpu = self._loaded is None or self._loaded.device == "cpu"  # the fast decoder's exact layout
        return BATCH_INDEPENDENT if on_cpu else SEEDED_PER_SOUND

    # generating ----------------------------------------------------------------------

    def loaded(self) -> Any:
        if self._loaded is None:
            from sfx_pipeline.generators.audiogen import loading
            from sfx_pipeline.generators.audiogen.memory import MemoryPolicy

            self._loaded = loading.load(self.model, self.ctx.settings["device"], self.ctx.reporter,
                                        self.ctx.settings.get("precision") or "auto")
            self._memory = MemoryPolicy(self._loaded, int(self.ctx.settings.get("max_batch_size") or 0))
        return self._loaded

    def run(self, jobs: Sequence[Job], reporter: Reporter) -> Iterator[Generated]:
        started, audio_seconds = time.perf_counter(), 0.0
        for result in self._dispatch(list(jobs), reporter):
            audio_seconds += len(result.audio) / result.rate if result.audio is not None else 0.0
            yield result
        elapsed = time.perf_counter() - started
        reporter.line(f"AudioGen: {audio_seconds:.1f} s of audio in {elapsed:.1f} s "
                      f"({audio_seconds / max(elapsed, 1e-9):.2f} s of audio per second)")

    def _dispatch(self, jobs: list[Job], reporter: Reporter) -> Iterator[Generated]:
        from sfx_pipeline.generators.audiogen import runtime
        from sfx_pipeline.generators.audiogen.fast import jobs as fast_jobs

        loaded = self.loaded()
        if self.decoder == "fast":
            reason = runtime.fast_unsupported(loaded)
            self._fast_ok = reason is None
            if reason is None:
                window = runtime.max_frames(loaded)
                windowed = [j for j in jobs if params_of(j.spec).frames > window]
                within = [j for j in jobs if params_of(j.spec).frames <= window]
                yield from fast_jobs.decode(loaded, self._memory, within, reporter)
                if windowed:
                    reporter.line(f"AudioGen: {len(windowed)} sounds longer than {window / FRAME_RATE:g} s use "
                                  "audiocraft's windowed decoder, one at a time with their own seeds")
                yield from (self._alone(job, reporter) for job in sorted(windowed, key=lambda j: j.key))
                return
            reporter.line(f"AudioGen: the fast decoder cannot run {self.model} ({reason}); "
                          "using audiocraft's batched decoder")
        yield from self._run_batched(jobs, reporter)

    # stock audiocraft batches ----------------------------------------------------------

    def _run_batched(self, jobs: list[Job], reporter: Reporter) -> Iterator[Generated]:
        longest = max(params_of(j.spec).frames for j in jobs)
        queue = plan_batches(jobs, self._memory.size(longest, len(jobs)))
        reporter.line(f"AudioGen: {len(jobs)} sounds in {len(queue)} batches "
                      f"(sizes {', '.join(str(len(b.jobs)) for b in queue)})")
        done = 0
        while queue:
            batch = queue.pop(0)
            limit = self._memory.limit
            if limit and len(batch.jobs) > limit:  # an earlier batch ran out of memory
                queue[:0] = batch.halves()
                continue
            label = f"{done}/{len(jobs)} sounds, batch of {len(batch.jobs)}"
            for result in self._attempt(batch, queue, label, reporter):
                done += 1
                yield result

    def _attempt(self, batch: Batch, queue: list[Batch], label: str, reporter: Reporter) -> Iterator[Generated]:
        """Generate one batch; on out-of-memory, halve it back onto the queue."""
        from sfx_pipeline.generators.audiogen import runtime

        loaded = self.loaded()
        try:
            audio = runtime.generate(loaded, [j.spec.prompt for j in batch.jobs], batch.params, batch.seed,
                                     lambda step, steps: reporter.progress(step, steps, label))
        except Exception as exc:  # noqa: BLE001 - one failed batch must not end the build
            reporter.done()
            verdict = self._memory.failed(exc, len(batch.jobs), batch.params.seconds)
            if verdict.retry:
                reporter.line(verdict.message)
                queue[:0] = batch.halves()
            else:
                yield from (Generated(job, None, 0, error=verdict.message) for job in batch.jobs)
            return
        reporter.done()
        info = {"decoder": "audiocraft", "size": len(batch.jobs), "seed": batch.seed}
        for position, (job, row) in enumerate(zip(batch.jobs, audio)):
            yield Generated(job, row, loaded.sample_rate, info={**info, "position": position})

    def _alone(self, job: Job, reporter: Reporter) -> Generated:
        """One asset through audiocraft's own `generate`, seeded with its own seed: for clips
        longer than the fast decoder's window. Alone, so its audio depends on nothing else."""
        from sfx_pipeline.generators.audiogen import runtime

        loaded, params, seed = self.loaded(), params_of(job.spec), asset_seed(job)
        label = f"{job.spec.name} ({params.seconds:.1f} s, windowed)"
        try:
            audio = runtime.generate(loaded, [job.spec.prompt], params, seed,
                                     lambda step, steps: reporter.progress(step, steps, label))
        except Exception as exc:  # noqa: BLE001 - one failed asset must not end the build
            reporter.done()
            return Generated(job, None, 0, error=self._memory.failed(exc, 1, params.seconds).message)
        reporter.done()
        return Generated(job, audio[0], loaded.sample_rate, info={"decoder": "audiocraft", "seed": seed})
