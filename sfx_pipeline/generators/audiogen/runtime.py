"""Everything that imports torch and audiocraft: load once, generate (stock batches or the fast
decoder), handle OOM."""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from sfx_pipeline.errors import ModelUnavailable
from sfx_pipeline.generators.audiogen.availability import INSTALL_FIX, hub_offline, is_local
from sfx_pipeline.generators.audiogen.batching import FRAME_RATE, Params, clips_that_fit
from sfx_pipeline.report import Reporter

CPU_BATCH = 4  # a CPU gains little from bigger batches and each one blocks longer


@dataclass
class Loaded:
    model: Any  # audiocraft.models.AudioGen
    device: str
    sample_rate: int
    fast: Any = None  # fast.decoder.FastDecoder over `model`, made on first use (it keeps its buffers)


def resolve_device(requested: str) -> str:
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailable('[generator] device = "cuda" but torch sees no CUDA GPU',
                               'install a CUDA build of torch, or set device = "cpu"')
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def load(model: str, device: str, reporter: Reporter) -> Loaded:
    # Checkpoints are data, never code: force torch.load's weights_only mode whatever the
    # caller or the environment asks (audiocraft calls torch.load without the argument).
    os.environ.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"
    started = time.perf_counter()
    try:
        from audiocraft.models import AudioGen
    except ImportError as exc:
        raise ModelUnavailable(f"audiocraft cannot be imported: {exc}", INSTALL_FIX) from exc
    device = resolve_device(device)
    reporter.line(f"loading AudioGen {model} on {device}...")
    try:
        loaded = AudioGen.get_pretrained(model, device=device)
    except Exception as exc:
        raise _load_error(model, exc) from exc
    reporter.line(f"loaded AudioGen {model} on {_describe(device)} in {time.perf_counter() - started:.1f} s")
    return Loaded(loaded, device, int(loaded.sample_rate))


def _load_error(model: str, exc: Exception) -> ModelUnavailable:
    name = type(exc).__name__
    if name in ("LocalEntryNotFoundError", "OfflineModeIsEnabled") or (hub_offline() and "offline" in str(exc).lower()):
        return ModelUnavailable(f"weights for {model} are not in the local cache and HF_HUB_OFFLINE is set",
                                f"run `huggingface-cli download {model}` where the hub is reachable")
    if name in ("RepositoryNotFoundError", "GatedRepoError"):
        return ModelUnavailable(f"the hub has no model {model!r} (or it needs a login)",
                                "check [generator] model; local folders need a path such as ./models/audiogen")
    if "UnpicklingError" in name or "weights_only" in str(exc):
        return ModelUnavailable(f"{model}: checkpoint refused by torch's safe loader: {exc}",
                                "use a checkpoint in audiocraft's release format (tensors and a YAML string)")
    if is_local(model):
        return ModelUnavailable(f"cannot load the model folder {model}: {name}: {exc}",
                                "it must hold state_dict.bin and compression_state_dict.bin in audiocraft's release format")
    return ModelUnavailable(f"cannot load {model}: {name}: {exc}", "run `sfx-pipeline doctor` to see what is missing")


def _describe(device: str) -> str:
    if device != "cuda":
        return device
    import torch

    return f"cuda ({torch.cuda.get_device_name()})"


def generate(loaded: Loaded, prompts: list[str], params: Params, seed: int,
             progress: Callable[[int, int], None]) -> np.ndarray:
    """[len(prompts), samples] float32 at the model's rate."""
    import torch

    model = loaded.model
    # audiocraft truncates duration * frame_rate to an int: aim half a frame past the
    # boundary so float rounding can never drop the last frame.
    model.set_generation_params(use_sampling=True, top_k=params.top_k, top_p=params.top_p,
                                temperature=params.temperature, cfg_coef=params.cfg_coef,
                                duration=(params.frames + 0.5) / FRAME_RATE)
    model.set_custom_progress_callback(progress)
    torch.manual_seed(seed)
    with torch.inference_mode():
        wav = model.generate(prompts)
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


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    return isinstance(exc, torch.cuda.OutOfMemoryError) or "CUDA out of memory" in str(exc)


def free_memory(loaded: Loaded | None = None) -> None:
    import torch

    if loaded is not None and loaded.fast is not None:
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
