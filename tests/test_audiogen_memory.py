"""The one memory policy both AudioGen decoders use: batch size, and the verdict on a failure.

The out-of-memory errors here are constructed, not raised by a GPU: this machine has none
(the decoders' reactions to a real torch.cuda.OutOfMemoryError raised inside a build are
tested in test_audiogen.py and test_fast_decoder_backend.py)."""

from __future__ import annotations

import torch

from sfx_pipeline.generators.audiogen.loading import Loaded
from sfx_pipeline.generators.audiogen.memory import CPU_BATCH, MemoryPolicy

CPU = Loaded(model=None, device="cpu", sample_rate=16000, precision="float32")


def test_size_is_the_configured_or_device_batch_capped_by_the_clips_and_the_known_limit() -> None:
    assert MemoryPolicy(CPU, 0).size(250, 100) == CPU_BATCH
    assert MemoryPolicy(CPU, 16).size(250, 100) == 16
    assert MemoryPolicy(CPU, 16).size(250, 3) == 3
    policy = MemoryPolicy(CPU, 16)
    policy.failed(torch.cuda.OutOfMemoryError("CUDA out of memory."), 16, 5.0)
    assert policy.size(250, 100) == 8 and policy.limit == 8


def test_out_of_memory_halves_until_one_clip_fails_alone() -> None:
    policy = MemoryPolicy(CPU, 0)
    oom = torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    verdict = policy.failed(oom, 7, 5.0)
    assert verdict.retry and verdict.out_of_memory and policy.limit == 4
    assert verdict.message == "out of GPU memory with 7 sounds at a time; retrying with 4"
    alone = policy.failed(oom, 1, 12.5)
    assert not alone.retry and alone.out_of_memory
    assert alone.message == "out of GPU memory even alone (12.5 s clip); shorten it or free GPU memory"


def test_any_other_error_fails_the_sounds_with_its_type_and_text() -> None:
    policy = MemoryPolicy(CPU, 0)
    verdict = policy.failed(RuntimeError("Index put requires the source and destination dtypes match"), 8, 5.0)
    assert not verdict.retry and not verdict.out_of_memory and policy.limit is None
    assert verdict.message == "AudioGen failed: RuntimeError: Index put requires the source and destination dtypes match"
