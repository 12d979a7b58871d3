"""Can AudioGen run here? Cheap checks first, no model load, each failure with its fix.

`auto` asks this before every build, so it must stay fast: it looks for packages without
importing them, for weights on disk without reading them, and imports torch (a second or
two) only when everything else is in place and the answer depends on the GPU (`gpu.py`,
which also says what that answer depends on, so a no-op need not ask again).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

LM_FILE, COMPRESSION_FILE = "state_dict.bin", "compression_state_dict.bin"
INSTALL_FIX = "pip install 'sfx-pipeline[audiogen]' && pip install --no-deps audiocraft==1.3.0"


@dataclass(frozen=True)
class Weights:
    """Where a model's two checkpoint files are, and under which revision."""

    lm: Path
    compression: Path
    revision: str  # hub commit, or "local" for a folder


def is_local(model: str) -> bool:
    return os.path.isdir(model) or model.startswith((".", "/", "~")) or "\\" in model or model.count("/") > 1


def hub_cache_dir() -> str | None:
    """Where audiocraft asks huggingface_hub to put weights: AUDIOCRAFT_CACHE_DIR, else HF's own."""
    return os.environ.get("AUDIOCRAFT_CACHE_DIR") or None


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def find_weights(model: str) -> Weights | None:
    """The model's files if they are on this machine; never downloads."""
    if is_local(model):
        folder = Path(model).expanduser()
        lm, compression = folder / LM_FILE, folder / COMPRESSION_FILE
        return Weights(lm, compression, "local") if lm.is_file() and compression.is_file() else None
    if importlib.util.find_spec("huggingface_hub") is None:
        return None
    from huggingface_hub import try_to_load_from_cache

    cached_lm, cached_compression = (try_to_load_from_cache(model, name, cache_dir=hub_cache_dir())
                                     for name in (LM_FILE, COMPRESSION_FILE))
    # Each is a path, None (not cached) or a marker that the hub has no such file.
    if not isinstance(cached_lm, str) or not isinstance(cached_compression, str):
        return None
    snapshot = Path(cached_lm).parent  # .../snapshots/<commit>/state_dict.bin
    return Weights(Path(cached_lm), Path(cached_compression), snapshot.name)


PACKAGES = ("torch", "torchaudio", "audiocraft")  # what AudioGen imports: the no-op snapshot watches them too


def missing_packages() -> list[str]:
    return [name for name in PACKAGES if importlib.util.find_spec(name) is None]


def unavailable_reason(model: str, device: str, for_auto: bool = False) -> str | None:
    """None when AudioGen can load `model` on `device` here; else the reason and its fix.

    For `auto`, weights that would need a multi-gigabyte download and a CPU-only machine
    (minutes per sound) count as unavailable: placeholders are the better default there."""
    missing = missing_packages()
    if missing:
        return f"{', '.join(missing)} not installed (fix: {INSTALL_FIX})"
    if find_weights(model) is None:
        return _weights_reason(model, for_auto)
    if device == "cpu":
        return None
    if not _cuda_available():
        if device == "cuda":
            return ('[generator] device = "cuda" but torch sees no CUDA GPU '
                    '(fix: install a CUDA build of torch, or set device = "cpu")')
        if for_auto:
            return ('no CUDA GPU (AudioGen on the CPU takes minutes a sound; '
                    'set [generator] device = "cpu" to use it anyway)')
    return None


def _weights_reason(model: str, for_auto: bool) -> str | None:
    if is_local(model):
        return (f"model folder {model} lacks {LM_FILE} and {COMPRESSION_FILE} "
                "(fix: point [generator] model at a folder in audiocraft's release format)")
    fix = f"huggingface-cli download {model}" + (" (with HF_HUB_OFFLINE unset)" if hub_offline() else "")
    if hub_offline():
        return f"weights for {model} are not in the local cache and HF_HUB_OFFLINE is set (fix: {fix})"
    if for_auto:
        return (f"weights for {model} are not downloaded yet "
                f'(fix: {fix}, or set backend = "audiogen" to download on the next build)')
    return None  # an explicit audiogen backend downloads on first load


def _cuda_available() -> bool:
    from sfx_pipeline.generators.audiogen import gpu

    return gpu.cuda_available()  # remembers what the answer depends on, for the no-op snapshot
