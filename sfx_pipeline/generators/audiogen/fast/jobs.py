"""The fast decoder as the AudioGen backend runs it: build jobs in, `Generated` results out.

No planning: every asset carries its own parameters and seed, so all of them go to the
decoder at once and it keeps `slots` of them running. What this adds is the build's
contract: results yielded as each asset's audio is decoded (a killed build keeps them),
out-of-memory handled by halving the slots and retrying the assets not yet finished (they
come out the same, being batch-independent), one failure reported per asset, not per run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from sfx_pipeline.generators import Generated, Job
from sfx_pipeline.generators.audiogen.batching import FRAME_RATE, asset_seed, params_of
from sfx_pipeline.report import Reporter

if TYPE_CHECKING:
    from sfx_pipeline.generators.audiogen.backend import AudioGenGenerator
    from sfx_pipeline.generators.audiogen.fast.scheduler import Request


def run(generator: AudioGenGenerator, jobs: list[Job], reporter: Reporter) -> Iterator[Generated]:
    from sfx_pipeline.generators.audiogen import runtime

    limit = runtime.max_frames(generator.loaded())
    windowed = [j for j in jobs if params_of(j.spec).frames > limit]
    yield from _decode(generator, [j for j in jobs if params_of(j.spec).frames <= limit], reporter)
    if windowed:
        reporter.line(f"AudioGen: {len(windowed)} sounds longer than {limit / FRAME_RATE:g} s use audiocraft's "
                      "windowed decoder, one at a time with their own seeds")
    for job in sorted(windowed, key=lambda j: j.key):
        yield generator.alone(job, reporter)


def request_for(job: Job) -> Request:
    from sfx_pipeline.generators.audiogen.fast.scheduler import Request

    p = params_of(job.spec)
    return Request(job.key, job.spec.prompt, p.frames, asset_seed(job), p.temperature, p.top_k, p.top_p, p.cfg_coef)


def _decode(generator: AudioGenGenerator, jobs: list[Job], reporter: Reporter) -> Iterator[Generated]:
    from sfx_pipeline.generators.audiogen import runtime

    if not jobs:
        return
    loaded = generator.loaded()
    pending = {job.key: job for job in sorted(jobs, key=lambda j: j.key)}  # slot order never depends on input order
    slots = _slots(generator, jobs)
    reporter.line(f"AudioGen (fast decoder): {len(jobs)} sounds, up to {slots} at a time")
    while pending:
        label = f"{len(pending)} sounds, {slots} at a time"
        requests = [request_for(job) for job in pending.values()]
        try:
            for request, audio in runtime.generate_fast(loaded, requests, slots,
                                                        lambda done, total: reporter.progress(done, total, label)):
                yield Generated(pending.pop(request.id), audio, loaded.sample_rate,
                                info={"decoder": "fast", "seed": request.seed})
        except Exception as exc:  # noqa: BLE001 - a failed run must not end the build
            reporter.done()
            if not runtime.is_out_of_memory(exc):
                message = f"AudioGen failed: {type(exc).__name__}: {exc}"
                yield from (Generated(job, None, 0, error=message) for job in pending.values())
                return
            runtime.free_memory(loaded)
            if slots == 1:  # buffers are sized for the longest clip: that is the one that cannot fit
                job = max(pending.values(), key=lambda j: (params_of(j.spec).frames, j.key))
                del pending[job.key]
                yield Generated(job, None, 0, error=f"out of GPU memory even alone ({params_of(job.spec).seconds:.1f} s "
                                                    "clip); shorten it or free GPU memory")
                continue
            reporter.line(f"out of GPU memory with {slots} sounds at a time; retrying with {(slots + 1) // 2}")
            slots = generator.remember_limit((slots + 1) // 2)
            continue
        reporter.done()


def _slots(generator: AudioGenGenerator, jobs: list[Job]) -> int:
    from sfx_pipeline.generators.audiogen import runtime

    configured = int(generator.ctx.settings.get("max_batch_size") or 0)
    longest = max(params_of(j.spec).frames for j in jobs)
    size = configured or runtime.auto_batch_size(generator.loaded(), longest)
    if generator.limit:
        size = min(size, generator.limit)
    return max(1, min(size, len(jobs)))
