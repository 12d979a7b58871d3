"""One memory policy for AudioGen, shared by both decoders: how many clips to run at once,
and what to do when a run fails.

A failure is classified once: a CUDA out-of-memory error frees what the failed run held
and halves the number of clips allowed at once (remembered for the rest of the process, so
a `watch` rebuild does not run out again); a run of a single clip that still does not fit,
or any other error, fails its sounds with a message saying what to do. The decoders only
say what they were running and act on the verdict: retry smaller, or report.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from sfx_pipeline.generators.audiogen.batching import FRAME_RATE, clips_that_fit
from sfx_pipeline.generators.audiogen.loading import Loaded

CPU_BATCH = 4  # a CPU gains little from bigger batches and each one blocks longer


@dataclass(frozen=True)
class Verdict:
    retry: bool  # run again with at most `MemoryPolicy.limit` clips at once
    out_of_memory: bool
    message: str  # when retrying, a line for the build's output; else the error of each sound


class MemoryPolicy:
    def __init__(self, loaded: Loaded, configured: int) -> None:
        self.loaded = loaded
        self.configured = configured  # [generator] max_batch_size; 0: from free GPU memory
        self.limit: int | None = None  # the most clips known to fit at once, after an OOM

    def size(self, longest_frames: int, count: int) -> int:
        """Clips to run at once for `count` clips of at most `longest_frames` frames."""
        size = self.configured or auto_batch_size(self.loaded, longest_frames)
        if self.limit:
            size = min(size, self.limit)
        return max(1, min(size, count))

    def failed(self, exc: BaseException, clips: int, seconds: float) -> Verdict:
        """What to do after a run of `clips` clips (the longest `seconds` long) raised `exc`."""
        if not is_out_of_memory(exc):
            return Verdict(False, False, f"AudioGen failed: {type(exc).__name__}: {exc}")
        free_memory(self.loaded)
        if clips <= 1:
            return Verdict(False, True, f"out of GPU memory even alone ({seconds:.1f} s clip); "
                                        "shorten it or free GPU memory")
        self.limit = (clips + 1) // 2
        return Verdict(True, True, f"out of GPU memory with {clips} sounds at a time; retrying with {self.limit}")


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError) or "CUDA out of memory" in str(exc)


def free_memory(loaded: Loaded) -> None:
    import torch

    if loaded.fast is not None:
        loaded.fast.release()  # its buffers were sized for the shape that did not fit
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def auto_batch_size(loaded: Loaded, frames: int) -> int:
    """Clips per call that fit in free GPU memory; a fixed small batch on the CPU."""
    if loaded.device != "cuda":
        return CPU_BATCH
    import torch

    lm = loaded.model.lm
    steps = min(frames, int(loaded.model.max_duration * FRAME_RATE)) + lm.num_codebooks
    free, _ = torch.cuda.mem_get_info()
    return clips_that_fit(free, len(lm.transformer.layers), lm.dim, steps)
