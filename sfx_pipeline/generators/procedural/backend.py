"""The procedural generator as a backend: offline, CPU, deterministic placeholders.

It renders at the asset's output rate directly, so the render stage does no resampling,
and its key holds that rate and the exact sample count instead of model frames.
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

from sfx_pipeline.descriptor import SoundSpec
from sfx_pipeline.generators import Generated, Job
from sfx_pipeline.generators.procedural.synth import VERSION, synthesize
from sfx_pipeline.report import Reporter


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
        for done, job in enumerate(jobs, start=1):
            rate = job.spec.output.sample_rate
            audio = synthesize(job.spec.prompt, job.spec.seed, job.spec.duration, rate)
            reporter.progress(done, len(jobs), "synthesizing")
            yield Generated(job, audio, rate)
        reporter.done()
