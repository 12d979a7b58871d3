"""The procedural generator as a backend: offline, CPU, deterministic placeholders.

It renders at the asset's output rate directly, so the render stage does no resampling,
and its key holds that rate and the exact sample count instead of model frames.
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from sfx_pipeline.generators.base import Generated, Job
from sfx_pipeline.generators.procedural import VERSION
from sfx_pipeline.report import Reporter

if TYPE_CHECKING:  # planning uses this backend's keys only: numpy waits until it synthesizes
    import numpy as np

    from sfx_pipeline.sound import SoundSpec


WORKERS = os.cpu_count() or 1
_WAKE_SECONDS = 0.2


class ProceduralGenerator:
    name = "procedural"
    version = VERSION
    placeholder = True

    def key_fields(self, spec: SoundSpec) -> dict[str, Any]:
        rate = spec.output.sample_rate
        return {"rate": rate, "samples": int(round(spec.duration * rate))}

    def identity(self) -> str:
        return ""  # no weights: name and version say everything

    def reproducibility(self) -> str:
        return ("deterministic: the same descriptor gives the same audio; on another CPU or numpy build the "
                "last bits of the samples may differ, inaudibly")

    def run(self, jobs: Sequence[Job], reporter: Reporter) -> Iterator[Generated]:
        # numpy's FFTs release the GIL, so threads use every core (1.7x on two); each sound
        # is a pure function of its job, so the order of work cannot change the audio.
        # Sounds are handed on as they finish, so a build stopped midway has installed every
        # finished one; stopping (Ctrl-C, SIGTERM, the caller closing this generator) cancels
        # the queued ones at once instead of waiting for them all.
        pool = ThreadPoolExecutor(max_workers=WORKERS)
        try:
            order = {pool.submit(_synthesize, job): i for i, job in enumerate(jobs)}
            pending, done = set(order), 0
            while pending:
                # A short timeout, so the main thread wakes to run a signal's handler even
                # when the OS delivered the signal to a worker thread.
                finished, pending = wait(pending, timeout=_WAKE_SECONDS, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=order.__getitem__):
                    done += 1
                    job = jobs[order[future]]
                    reporter.progress(done, len(jobs), "synthesizing")
                    yield Generated(job, future.result(), job.spec.output.sample_rate)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        reporter.done()


def _synthesize(job: Job) -> np.ndarray:
    from sfx_pipeline.generators.procedural.synth import synthesize

    spec = job.spec
    return synthesize(spec.prompt, spec.seed, spec.duration, spec.output.sample_rate)
