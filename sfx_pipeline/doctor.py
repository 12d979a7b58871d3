"""`sfx-pipeline doctor`: can this machine run AudioGen, and if not, what exactly to do.

Each check is a small function returning Findings; nothing here loads the model, so it
answers in seconds even on a machine that would need minutes to generate.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from dataclasses import dataclass
from typing import Callable

from sfx_pipeline.generators.audiogen import availability
from sfx_pipeline.generators.audiogen.batching import FRAME_RATE, clips_that_fit

OK, WARN, FAIL, INFO = "ok", "warn", "fail", "info"
MEDIUM = {"layers": 48, "dim": 1536}  # facebook/audiogen-medium, for batch-size advice


@dataclass(frozen=True)
class Finding:
    level: str
    text: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.level:5} {self.text}" + (f"\n      fix: {self.fix}" if self.fix else "")


@dataclass
class Facts:
    """What the checks learn that later checks need."""

    model: str
    device: str
    torch: object | None = None
    free_gpu_bytes: int | None = None


def check_python(facts: Facts) -> list[Finding]:
    version = platform.python_version()
    level = OK if sys.version_info >= (3, 10) else FAIL
    return [Finding(level, f"python {version} on {platform.system()} {platform.machine()}",
                    "" if level == OK else "use Python 3.10 or newer")]


def check_torch(facts: Facts) -> list[Finding]:
    try:
        import torch
    except ImportError:
        return [Finding(FAIL, "torch is not installed", availability.INSTALL_FIX)]
    facts.torch = torch
    cuda = torch.version.cuda or "no CUDA"
    findings = [Finding(OK, f"torch {torch.__version__} ({cuda} build)")]
    if not torch.cuda.is_available():
        if facts.device == "cpu":
            return findings + [Finding(INFO, 'no CUDA GPU; [generator] device = "cpu": AudioGen runs here at minutes a sound')]
        level = FAIL if facts.device == "cuda" else WARN
        return findings + [Finding(level, "no CUDA GPU visible to torch: AudioGen would take minutes a sound on the CPU",
                                   "on a GPU machine, install a CUDA build of torch; here, placeholders are used")]
    free, total = torch.cuda.mem_get_info()
    facts.free_gpu_bytes = free
    return findings + [Finding(OK, f"GPU {torch.cuda.get_device_name()}: {free / 2**30:.1f} GiB free of {total / 2**30:.1f} GiB")]


def check_audiocraft(facts: Facts) -> list[Finding]:
    try:
        importlib.import_module("audiocraft.models")
    except ImportError as exc:
        return [Finding(FAIL, f"audiocraft does not import: {exc}", availability.INSTALL_FIX)]
    import audiocraft

    return [Finding(OK, f"audiocraft {audiocraft.__version__} imports")]


def check_hub(facts: Facts) -> list[Finding]:
    where = os.environ.get("AUDIOCRAFT_CACHE_DIR") or os.environ.get("HF_HUB_CACHE") or os.environ.get("HF_HOME") or "default"
    state = "offline (HF_HUB_OFFLINE is set)" if availability.hub_offline() else "online"
    return [Finding(INFO, f"model hub: {state}; cache: {where}")]


def check_model(facts: Facts) -> list[Finding]:
    if availability.missing_packages():
        return []
    weights = availability.find_weights(facts.model)
    if weights:
        return [Finding(OK, f"model {facts.model} is on disk (revision {weights.revision}): {weights.lm.parent}")]
    if availability.is_local(facts.model):
        return [Finding(FAIL, f"model folder {facts.model} lacks {availability.LM_FILE} and {availability.COMPRESSION_FILE}",
                        "point [generator] model at a folder in audiocraft's release format")]
    level = FAIL if availability.hub_offline() else WARN
    return [Finding(level, f"model {facts.model} is not in the local cache",
                    f"huggingface-cli download {facts.model}"
                    + (" --cache-dir $AUDIOCRAFT_CACHE_DIR" if os.environ.get("AUDIOCRAFT_CACHE_DIR") else ""))]


def check_batch(facts: Facts) -> list[Finding]:
    if facts.free_gpu_bytes is None:
        return []
    steps = 5 * FRAME_RATE + 4
    size = clips_that_fit(facts.free_gpu_bytes, MEDIUM["layers"], MEDIUM["dim"], steps)
    return [Finding(INFO, f"suggested max_batch_size for 5 s clips with audiogen-medium: {size} "
                          "(0, the default, picks it at build time from free memory)")]


def check_auto(facts: Facts) -> list[Finding]:
    reason = availability.unavailable_reason(facts.model, facts.device, for_auto=True)
    if reason is None:
        return [Finding(OK, "backend auto would use AudioGen")]
    return [Finding(INFO, f"backend auto would use procedural placeholders: {reason}")]


CHECKS: list[Callable[[Facts], list[Finding]]] = [
    check_python, check_torch, check_audiocraft, check_hub, check_model, check_batch, check_auto,
]


def run(model: str, device: str) -> list[Finding]:
    facts = Facts(model, device)
    return [finding for check in CHECKS for finding in check(facts)]
