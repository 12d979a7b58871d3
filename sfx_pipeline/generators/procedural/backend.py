"""The procedural generator as a backend: offline, CPU, deterministic placeholders.

It renders at the asset's output rate directly, so the render stage does no resampling,
and its key holds that rate and the exact sample count instead of model frames.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, Sequence

import numpy as np

from sfx_pipeline.sound import SoundSpec
from sfx_pipeline.generators import Generated, Job
from sfx_pipeline.generators.procedural.synth import VERSION, synthesize
from sfx_pipeline.report import Reporter


WORKERS = os.cpu_count() or 1


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
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = pool.map(_synthesize, jobs)
            for done, (job, audio) in enumerate(zip(jobs, results), start=1):
                reporter.progress(done, len(jobs), "synthesizing")
                yield Generated(job, audio, job.spec.output.sample_rate)
        reporter.done()


def _synthesize(job: Job) -> np.ndarray:
    spec = job.spec
    return synthesize(spec.prompt, spec.seed, spec.duration, spec.output.sample_rate)
