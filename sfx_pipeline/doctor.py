"""`sfx-pipeline doctor`: can this machine run AudioGen, and if not, what exactly to do.

Each check is a small function returning Findings; none of them loads the model, so it
answers in seconds even on a machine that would need minutes to generate. `--smoke` then
loads it and generates one short sound, the only way to know that generation works here.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

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


HUB_TIMEOUT = 3.0  # seconds: long enough for a slow link, short enough for a doctor


def check_hub(facts: Facts) -> list[Finding]:
    """Only what was checked: a short HEAD request to the hub, not the absence of HF_HUB_OFFLINE."""
    where = os.environ.get("AUDIOCRAFT_CACHE_DIR") or os.environ.get("HF_HUB_CACHE") or os.environ.get("HF_HOME") or "default"
    if availability.hub_offline():
        return [Finding(INFO, f"model hub: offline (HF_HUB_OFFLINE is set), not checked; cache: {where}")]
    if availability.is_local(facts.model):
        return [Finding(INFO, f"model hub: not checked, the model is a local folder; cache: {where}")]
    # huggingface_hub reads its address from HF_ENDPOINT (a mirror, or a local proxy).
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    problem = _unreachable(endpoint)
    if problem:
        return [Finding(WARN, f"model hub: {endpoint} did not answer within {HUB_TIMEOUT:g} s ({problem}); cache: {where}",
                        f"weights not on disk cannot download here: run `huggingface-cli download {facts.model}` "
                        "where the hub is reachable, or point [generator] model at a local folder")]
    return [Finding(OK, f"model hub: {endpoint} answers; cache: {where}")]


def _unreachable(endpoint: str) -> str:
    """Why `endpoint` gave no HTTP answer in time ("" if it answered, whatever the status)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=HUB_TIMEOUT):
            return ""
    except urllib.error.HTTPError:
        return ""  # an HTTP status is an answer: the hub is reachable
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return str(getattr(exc, "reason", exc))


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


# --smoke: one real sound --------------------------------------------------------------------

SMOKE_PROMPT = "a wooden door slams shut"
SMOKE_SECONDS = 1.0


def smoke(settings: dict[str, Any], cache_dir: Path) -> list[Finding]:
    """Generate one short sound with the configured model, device, precision and decoder,
    through the same backend a build uses, keeping nothing: pass or fail, and how long it took."""
    from sfx_pipeline.errors import UserError
    from sfx_pipeline.report import QuietReporter

    reporter = QuietReporter()
    started = time.perf_counter()
    try:
        result = _generate_one(settings, cache_dir, reporter)
    except UserError as exc:  # the model could not load: its message carries the fix
        return [Finding(FAIL, f"smoke test: {exc.message}", exc.hint)]
    except Exception as exc:  # noqa: BLE001 - doctor reports what a build would hit, it does not crash on it
        return [Finding(FAIL, f"smoke test: {type(exc).__name__}: {exc}", SMOKE_FIX)]
    elapsed = time.perf_counter() - started
    loads = [line for line in reporter.lines if line.startswith("loaded AudioGen")]
    how = f"decoder {settings.get('decoder') or 'fast'}; {'; '.join(loads) or 'no model loaded'}"
    if result.audio is None:
        return [Finding(FAIL, f"smoke test failed after {elapsed:.1f} s ({how}): {result.error}", SMOKE_FIX)]
    problem = _audio_problem(result.audio, result.rate)
    if problem:
        return [Finding(FAIL, f"smoke test made audio, but {problem} ({how})", SMOKE_FIX)]
    return [Finding(OK, f"smoke test: {SMOKE_SECONDS:g} s sound generated in {elapsed:.1f} s in all ({how})")]


SMOKE_FIX = ('try [generator] decoder = "audiocraft" to tell whether the fast decoder is at fault, and report '
             "this output with `sfx-pipeline doctor` above it")


def _generate_one(settings: dict[str, Any], cache_dir: Path, reporter: Any) -> Any:
    from sfx_pipeline import schema
    from sfx_pipeline.generators.audiogen.backend import AudioGenGenerator
    from sfx_pipeline.generators.base import Context, Job
    from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec

    defaults = schema.defaults(schema.GENERATION)
    generation = GenerationParams(*(defaults[k] for k in ("temperature", "top_k", "top_p", "cfg_coef")))
    spec = SoundSpec(name="doctor-smoke", descriptor="", entry="", prompt=SMOKE_PROMPT, duration=SMOKE_SECONDS,
                     seed=1, backend="audiogen", model=settings["model"], generation=generation,
                     output=OutputParams(48000, 16, None, -1.0, 0.0, 0.0), output_path="")
    generator = AudioGenGenerator(Context(settings, cache_dir, reporter), settings["model"], identity="doctor-smoke")
    return next(iter(generator.run([Job(spec, "doctor-smoke")], reporter)))


def _audio_problem(audio: Any, rate: int) -> str:
    import numpy as np

    expected = int(SMOKE_SECONDS * rate)
    if abs(len(audio) - expected) > rate // 50:
        return f"{len(audio)} samples where {expected} were expected"
    if not np.isfinite(audio).all():
        return "it holds NaN or infinite samples"
    if float(np.abs(audio).max()) == 0.0:
        return "it is silent"
    return ""
