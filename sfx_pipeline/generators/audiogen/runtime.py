"""Generation on a loaded model: stock `generate` calls, or the fast decoder.

Loading lives in `loading`, out-of-memory handling and batch sizes in `memory`; everything
here imports torch lazily, inside the functions."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np

from sfx_pipeline.generators.audiogen.batching import FRAME_RATE, Params
from sfx_pipeline.generators.audiogen.loading import Loaded


def generate(loaded: Loaded, prompts: list[str], params: Params, seed: int,
             progress: Callable[[int, int], None]) -> np.ndarray:
    """[len(prompts), samples] float32 at the model's rate."""
    import torch

    model = loaded.model
    # audiocraft truncates duration * frame_rate to an int: aim half a frame past the
    # boundary so float rounding can never drop the last frame.
    sampling = params.sampling
    model.set_generation_params(use_sampling=True, top_k=sampling.top_k, top_p=sampling.top_p,
                                temperature=sampling.temperature, cfg_coef=sampling.cfg_coef,
                                duration=(params.frames + 0.5) / FRAME_RATE)
    model.set_custom_progress_callback(progress)
    torch.manual_seed(seed)
    with torch.inference_mode():
        wav: torch.Tensor = model.generate(prompts)
    return wav[:, 0, :].float().cpu().numpy()


def fast_unsupported(loaded: Loaded) -> str | None:
    """Why the fast decoder cannot run this model (None: it can)."""
    from sfx_pipeline.generators.audiogen.fast.model import unsupported_reason

    return unsupported_reason(loaded.model.lm)


def max_frames(loaded: Loaded) -> int:
    """The longest clip generated in one window (the model's training length, 10 s for AudioGen)."""
    return int(loaded.model.max_duration * FRAME_RATE)


def generate_fast(loaded: Loaded, requests: list[Any], slots: int,
                  progress: Callable[[int, int], None]) -> Iterator[tuple[Any, np.ndarray]]:
    """(request, float32 audio at the model's rate) for each `fast.scheduler.Request`, as each is decoded."""
    if loaded.fast is None:
        from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder

        loaded.fast = FastDecoder(loaded.model)
    yield from loaded.fast.generate(requests, slots, progress)
