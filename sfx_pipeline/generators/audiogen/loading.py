"""Load an AudioGen model once, the way audiocraft's own loader lays it out, at a chosen precision.

audiocraft's `AudioGen.get_pretrained` (audiocraft/models/loaders.py, `load_lm_model`) picks
the LM's dtype from the device: `cfg.dtype = "float32"` on the CPU, `"float16"` anywhere else.
That dtype reaches only the transformer (`builders.get_lm_model` passes it to
`StreamingTransformer`); the token embeddings, the output norm and heads and the text
conditioner stay float32, and generation runs under fp16 autocast off the CPU
(audiocraft/models/genmodel.py). So on a GPU the LM holds mixed dtypes.

`load` goes through the same pieces (`load_compression_model`, `load_lm_model_ckpt`,
`builders.get_lm_model` with a `cfg.dtype`, the `AudioGen` constructor) with the dtype taken
from `[generator] precision`: "auto" is audiocraft's own choice, so a GPU build is exactly
what `get_pretrained` gives, and "float16" gives that same GPU layout on a CPU, which is how
the tests run the GPU's mixed dtypes on machines without one.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from sfx_pipeline.errors import ModelUnavailable
from sfx_pipeline.generators.audiogen.availability import INSTALL_FIX, hub_offline, is_local
from sfx_pipeline.report import Reporter

PRECISIONS = ("auto", "float16", "float32")


@dataclass
class Loaded:
    model: Any  # audiocraft.models.AudioGen
    device: str
    sample_rate: int
    precision: str  # "float16" or "float32": the transformer's weights, and whether it computes under fp16 autocast
    fast: Any = None  # fast.decoder.FastDecoder over `model`, made on first use (it keeps its buffers)


def resolve_device(requested: str) -> str:
    import torch

    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailable('[generator] device = "cuda" but torch sees no CUDA GPU',
                               'install a CUDA build of torch, or set device = "cpu"')
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def resolve_precision(requested: str, device: str) -> str:
    """audiocraft's rule for "auto": float32 on the CPU, float16 on any other device."""
    if requested == "auto":
        return "float32" if device == "cpu" else "float16"
    return requested


def load(model: str, device: str, reporter: Reporter, precision: str = "auto") -> Loaded:
    # Checkpoints are data, never code: force torch.load's weights_only mode whatever the
    # caller or the environment asks (audiocraft calls torch.load without the argument).
    os.environ.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"
    started = time.perf_counter()
    try:
        import audiocraft.models  # noqa: F401 - fails here, with the install fix, rather than mid-load
    except ImportError as exc:
        raise ModelUnavailable(f"audiocraft cannot be imported: {exc}", INSTALL_FIX) from exc
    device = resolve_device(device)
    precision = resolve_precision(precision, device)
    reporter.line(f"loading AudioGen {model} on {device} ({precision})...")
    try:
        loaded = build(model, device, precision)
    except Exception as exc:
        raise _load_error(model, exc) from exc
    adapt_for_cpu(loaded)
    reporter.line(f"loaded AudioGen {model} on {_describe(device)} ({precision}) "
                  f"in {time.perf_counter() - started:.1f} s")
    return loaded


def build(model: str, device: str, precision: str) -> Loaded:
    """`AudioGen.get_pretrained(model, device)` with the LM's `cfg.dtype` set to `precision`.

    Mirrors audiocraft 1.3.0's `get_pretrained` and `load_lm_model` step for step; only the
    dtype line differs, and for precision "auto" it agrees with theirs."""
    from audiocraft.models import builders, loaders
    from audiocraft.models.audiogen import AudioGen
    from audiocraft.utils.autocast import TorchAutocast
    from omegaconf import OmegaConf

    compression = loaders.load_compression_model(model, device=device)
    package = loaders.load_lm_model_ckpt(model)
    cfg = OmegaConf.create(package["xp.cfg"])
    cfg.device = str(device)
    cfg.dtype = precision
    for name in ("conditioners.self_wav.chroma_stem.cache_path", "conditioners.args.merge_text_conditions_p",
                 "conditioners.args.drop_desc_p"):
        loaders._delete_param(cfg, name)
    lm = builders.get_lm_model(cfg)
    lm.load_state_dict(package["best_state"])
    lm.eval()
    lm.cfg = cfg
    if "self_wav" in lm.condition_provider.conditioners:
        raise ValueError("AudioGen does not support waveform conditioning")
    audiogen = AudioGen(model, compression, lm)
    # audiocraft ties autocast to the device (on everywhere but the CPU); tie it to the
    # weights instead, so float16 weights always compute under fp16 autocast (as on a GPU)
    # and float32 weights never do.
    audiogen.autocast = TorchAutocast(enabled=precision == "float16", device_type=audiogen.device.type,
                                      dtype=_torch().float16)
    return Loaded(audiogen, device, int(audiogen.sample_rate), precision)


def adapt_for_cpu(loaded: Loaded) -> None:
    """Let audiocraft's own modules run the GPU's float16 layout on a CPU.

    On CUDA, autocast runs layer_norm in float32, casting input and weights up; the CPU's
    autocast has no such rule and refuses float16 weights with a float32 input. Holding the
    transformer's norm weights in float32 gives the CPU exactly the values CUDA computes with."""
    if loaded.device != "cpu" or loaded.precision != "float16":
        return
    import torch

    for module in loaded.model.lm.transformer.modules():
        if isinstance(module, torch.nn.LayerNorm):
            module.float()


def _torch() -> Any:
    import torch

    return torch


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
