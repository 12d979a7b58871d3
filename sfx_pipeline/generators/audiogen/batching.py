"""Which assets share a `generate` call, in what order, with which seed. Pure.

With `decoder = "audiocraft"`: audiocraft applies duration, temperature, top_k, top_p and
cfg_coef to a whole call and samples with the global torch RNG (audiocraft/models/lm.py,
`LMModel._sample_next_token` calls `utils.multinomial` without a generator), so a batch
holds assets that agree on all five, and is seeded from its members' generation keys: the
same set of stale assets gives the same batches and the same audio on every run.

With `decoder = "fast"` there are no batches to plan: every asset carries its own
parameters and its own seed (`asset_seed`), and the fast decoder's slots take them in any mix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import xxhash

from sfx_pipeline.generators.base import Job
from sfx_pipeline.sound import GenerationParams, SoundSpec

FRAME_RATE = 50  # AudioGen's EnCodec: 16 kHz, hop 320


@dataclass(frozen=True)
class Params:
    """What one `generate` call applies to all its clips: the length in model frames and
    the descriptor's sampling parameters as they are."""

    frames: int
    sampling: GenerationParams

    @property
    def seconds(self) -> float:
        return self.frames / FRAME_RATE


@dataclass(frozen=True)
class Batch:
    params: Params
    jobs: tuple[Job, ...]

    @property
    def seed(self) -> int:
        keys = "".join(sorted(job.key for job in self.jobs))
        return xxhash.xxh3_64_intdigest(keys.encode()) & 0x7FFF_FFFF_FFFF_FFFF

    def halves(self) -> list[Batch]:
        middle = (len(self.jobs) + 1) // 2
        return [Batch(self.params, self.jobs[:middle]), Batch(self.params, self.jobs[middle:])]


def frames_for(duration: float) -> int:
    """Whole model frames covering `duration` (rounded first, so 2.0 s is 100, not 101)."""
    return max(1, math.ceil(round(duration * FRAME_RATE, 6)))


def params_of(spec: SoundSpec) -> Params:
    return Params(frames_for(spec.duration), spec.generation)


def asset_seed(job: Job) -> int:
    """The fast decoder's seed for one asset: its own seed combined with its generation key
    (which covers prompt, length, parameters and model), never anything about other assets."""
    return xxhash.xxh3_64_intdigest(f"{job.spec.seed}:{job.key}".encode()) & 0x7FFF_FFFF_FFFF_FFFF


def plan_batches(jobs: list[Job], max_size: int) -> list[Batch]:
    """Group by parameters, split evenly to at most `max_size`, biggest work first."""
    groups: dict[Params, list[Job]] = {}
    for job in sorted(jobs, key=lambda j: j.key):  # membership must not depend on descriptor order
        groups.setdefault(params_of(job.spec), []).append(job)
    batches: list[Batch] = []
    for params, members in groups.items():
        count = math.ceil(len(members) / max_size)
        size, extra = divmod(len(members), count)
        start = 0
        for i in range(count):
            end = start + size + (1 if i < extra else 0)
            batches.append(Batch(params, tuple(members[start:end])))
            start = end
    # Longest-first keeps the GPU on big work while the small remainders finish last.
    return sorted(batches, key=lambda b: (-b.params.frames * len(b.jobs), b.seed))


def clips_that_fit(free_bytes: int, layers: int, dim: int, steps: int) -> int:
    """Clips per call whose KV cache fits in `free_bytes` of GPU memory (1 to 256).

    Per clip: 2 (classifier-free guidance doubles the batch) x layers x 2 (K and V) x dim x
    steps x 2 bytes (fp16), plus half again for activations. audiogen-medium, 5 s: ~220 MB;
    stock audiocraft measured on an H100: 256 clips of 5 s peak at about 40 GiB."""
    per_clip = 2 * layers * 2 * dim * steps * 2 * 1.5
    return int(max(1, min(256, free_bytes * 0.8 // per_clip)))
