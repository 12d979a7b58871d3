"""The fast decoder as the AudioGen backend runs it: build jobs in, `Generated` results out.

No planning: every asset carries its own parameters and seed, so all of them go to the
decoder at once and it keeps `slots` of them running. What this adds is the build's
contract: results yielded as each asset's audio is decoded (a killed build keeps them),
out-of-memory handled by the shared `memory.MemoryPolicy` (fewer slots, and only the
assets not yet finished run again: their audio does not depend on the slot count, each
having its own random stream), one failure reported per asset, not per run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterator

from sfx_pipeline.generators.audiogen.batching import asset_seed, params_of
from sfx_pipeline.generators.audiogen.loading import Loaded
from sfx_pipeline.generators.base import Generated, Job
from sfx_pipeline.report import Reporter

if TYPE_CHECKING:
    from sfx_pipeline.generators.audiogen.fast.scheduler import Request
    from sfx_pipeline.generators.audiogen.memory import MemoryPolicy


def request_for(job: Job) -> Request:
    from sfx_pipeline.generators.audiogen.fast.scheduler import Request

    p = params_of(job.spec)
    s = p.sampling
    return Request(job.key, job.spec.prompt, p.frames, asset_seed(job), s.temperature, s.top_k, s.top_p, s.cfg_coef)


def decode(loaded: Loaded, memory: MemoryPolicy, jobs: list[Job], reporter: Reporter) -> Iterator[Generated]:
    """Every job (each within the model's window) through the fast decoder."""
    from sfx_pipeline.generators.audiogen import runtime

    if not jobs:
        return
    pending = {job.key: job for job in sorted(jobs, key=lambda j: j.key)}  # slot order never depends on input order
    slots = memory.size(max(params_of(j.spec).frames for j in jobs), len(jobs))
    reporter.line(f"AudioGen (fast decoder): {len(jobs)} sounds, up to {slots} at a time")
    while pending:
        requests = [request_for(job) for job in pending.values()]
        try:
            for request, audio in runtime.generate_fast(loaded, requests, slots,
                                                        _progress(reporter, f"{len(pending)} sounds, {slots} at a time")):
                yield Generated(pending.pop(request.id), audio, loaded.sample_rate,
                                info={"decoder": "fast", "seed": request.seed})
        except Exception as exc:  # noqa: BLE001 - a failed run must not end the build
            reporter.done()
            # Buffers are sized for the longest clip: alone, that is the one that cannot fit.
            longest = max(pending.values(), key=lambda j: (params_of(j.spec).frames, j.key))
            verdict = memory.failed(exc, slots, params_of(longest.spec).seconds)
            if verdict.retry:
                reporter.line(verdict.message)
                slots = memory.size(params_of(longest.spec).frames, len(pending))
            elif verdict.out_of_memory:
                del pending[longest.key]
                yield Generated(longest, None, 0, error=verdict.message)
            else:
                yield from (Generated(job, None, 0, error=verdict.message) for job in pending.values())
                return
            continue
        reporter.done()


def _progress(reporter: Reporter, label: str) -> Callable[[int, int], None]:
    """A progress callback bound to this run's label (not to a variable the loop rebinds)."""
    return lambda done, total: reporter.progress(done, total, label)
