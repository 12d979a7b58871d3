"""The product on a GPU, in one command: real builds, speed, batch independence, memory, profile.

    python bench/gpu_check.py                                # on a CUDA machine, about 5 minutes on an H200 (estimated)
    python bench/gpu_check.py --device cpu --size tiny       # the same code end to end on a CPU, in a minute

Every model is written in audiocraft's release format (random weights, float16 as released)
and loaded the way users load theirs: by `sfx-pipeline build` in a child process, or by the
product's loader in this one. Parts run in order of importance, and each writes its result
to OUT/NN-part.md as soon as it finishes, so a run cut short keeps what it finished:

1. builds   `sfx-pipeline build --json` as a whole process, each decoder, tiny and medium
            checkpoints: WAVs made and checked, sounds failed, wall time; and `doctor --smoke`.
2. independence  a sound's tokens alone against among 8, 64 and 256 others (the fast
            decoder's layout for this device): the share of tokens equal and of sounds whole.
3. speed    stock `generate` against the fast decoder for B = 1, 16, 64, 256 clips: ms per
            step, s per clip, audio-s per s, peak GPU memory.
4. profile  where a fast step's time goes (kernels per step, attention, FFN, sampling,
            EnCodec).

A benchmark harness, never the product: where xformers or spacy are missing it puts
stand-ins first on sys.path (bench/standins.py), for the child builds too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # support.random_checkpoint: test and benchmark models, not shipped
sys.path.insert(0, str(Path(__file__).resolve().parent))

from standins import install_stand_ins  # noqa: E402 - after the path set-up above

PROMPTS = ["heavy rain on a tin roof", "footsteps on gravel", "wooden door creaking open", "coin pickup chime",
           "laser gun shot", "glass shattering on tiles", "campfire crackling", "wind howling in the mountains"]
PARTS = ("builds", "independence", "speed", "profile")
FRAME_RATE = 50  # AudioGen's EnCodec frames per second


class Results:
    """Each part's text into its own file the moment it is done, and onto stdout."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def write(self, part: str, text: str) -> None:
        self.count += 1
        (self.folder / f"{self.count:02d}-{part}.md").write_text(text + "\n", encoding="utf-8")
        print(text + "\n", flush=True)


# 1. whole builds through the CLI ------------------------------------------------------------

def make_project(root: Path, model: Path, device: str, decoder: str, sounds: int, seconds: float) -> Path:
    (root / "sfx").mkdir(parents=True)
    (root / "sfx-pipeline.toml").write_text(
        f'import_dir = "audio"\n[generator]\nbackend = "audiogen"\nmodel = "{model.as_posix()}"\n'
        f'device = "{device}"\ndecoder = "{decoder}"\n', encoding="utf-8")
    rng = random.Random(sounds)
    for i in range(sounds):  # varied sampling settings: the fast decoder batches them together
        (root / "sfx" / f"sound_{i:03d}.sfx.toml").write_text(
            f'prompt = "{PROMPTS[i % len(PROMPTS)]}"\nduration = {seconds}\nseed = {i}\n'
            f"[generation]\ntemperature = {rng.choice([0.8, 1.0, 1.2])}\ntop_k = {rng.choice([50, 250])}\n",
            encoding="utf-8")
    return root


def cli(args: list[str], cache: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "SFX_PIPELINE_CACHE": str(cache), "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sfx_pipeline", *args], capture_output=True, text=True, env=env)
    return done, time.perf_counter() - started


def check_wavs(folder: Path, seconds: float) -> tuple[int, list[str]]:
    """How many WAVs under `folder` are whole, of the right length and not silent; what is wrong with the rest."""
    from sfx_pipeline.audio.wav import decode

    good, bad = 0, []
    for path in sorted(folder.rglob("*.wav")):
        try:
            wav = decode(path.read_bytes())
            samples = wav.samples()
        except Exception as exc:  # noqa: BLE001 - a harness reports what it finds
            bad.append(f"{path.name}: {exc}")
            continue
        if wav.frames != int(seconds * wav.rate) or not abs(samples).max() > 0:
            bad.append(f"{path.name}: {wav.frames} frames, peak {abs(samples).max():.3g}")
        else:
            good += 1
    return good, bad


def build_row(label: str, model: Path, device: str, decoder: str, sounds: int, seconds: float, work: Path) -> str:
    root = make_project(work / f"{label}-{decoder}", model, device, decoder, sounds, seconds)
    done, wall = cli(["build", "--project", str(root), "--json"], work / f"cache-{label}-{decoder}")
    try:
        doc = json.loads(done.stdout)
    except json.JSONDecodeError:
        return f"| {label} | {decoder} | {sounds} x {seconds:g} s | - | - | {wall:.1f} | exit {done.returncode}: {done.stderr.strip()[-300:]} |"
    good, bad = check_wavs(root / "audio", seconds)
    failed = doc["counts"].get("failed", 0)
    errors = sorted({a.get("error", "") for a in doc.get("assets", []) if a.get("error")})
    notes = "; ".join([m for m in doc.get("messages", []) if m.startswith(("loaded", "AudioGen"))] + errors + bad[:2])
    return f"| {label} | {decoder} | {sounds} x {seconds:g} s | {good} | {failed} | {wall:.1f} | {notes} |"


def part_builds(models: dict[str, Path], device: str, work: Path, quick: bool) -> str:
    lines = ["## Builds: `sfx-pipeline build --json`, a whole process each, into an empty cache", "",
             "| checkpoint | decoder | sounds | WAVs whole | failed | wall s | messages |", "|---|---|---|---|---|---|---|"]
    for label, model in models.items():
        sounds, seconds = (3, 0.5) if quick else (8, 1.0)
        for decoder in ("fast", "audiocraft"):
            lines.append(build_row(label, model, device, decoder, sounds, seconds, work))
            print(lines[-1], flush=True)
    for label, model in models.items():
        root = make_project(work / f"smoke-{label}", model, device, "fast", 0, 1.0)
        done, wall = cli(["doctor", "--smoke", "--project", str(root)], work / f"cache-smoke-{label}")
        smoke = [line for line in done.stdout.splitlines() if "smoke test" in line]
        lines += ["", f"`doctor --smoke` ({label}, exit {done.returncode}, {wall:.1f} s): {smoke[-1] if smoke else done.stderr[-300:]}"]
    return "\n".join(lines)


# 2. batch independence ------------------------------------------------------------------------

def part_independence(model: Any, frames: int, among: list[int]) -> str:
    from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder
    from sfx_pipeline.generators.audiogen.fast.scheduler import Request

    rng = random.Random(7)
    crowd = [Request(f"a{i}", f"prompt {i % 13}", rng.randint(frames // 4, frames), seed=10_000 + i,
                     temperature=rng.choice([0.7, 1.0, 1.4]), top_k=rng.choice([0, 40, 250]),
                     top_p=rng.choice([0.0, 0.0, 0.8]), cfg_coef=rng.choice([1.0, 3.0, 4.5]))
             for i in range(max(among))]
    watched = crowd[:min(8, min(among))]
    decoder = FastDecoder(model)
    alone = {r.id: next(decoder.generate([r], slots=1, audio=False))[1] for r in watched}
    lines = [f"## Batch independence: {len(watched)} sounds alone against among others, fast decoder "
             f"({'exact' if decoder.exact else 'bucketed'} layout, {'CUDA graphs' if decoder.use_graphs else 'eager'}), "
             f"sampled tokens, up to {frames} frames, mixed lengths and settings", "",
             "| generated among | tokens the same | sounds whole |", "|---|---|---|"]
    for n in among:
        batched = {r.id: codes for r, codes in decoder.generate(crowd[:n], slots=n, audio=False)}
        same = sum(int((alone[r.id] == batched[r.id]).sum()) for r in watched)
        whole = sum(int((alone[r.id] == batched[r.id]).all()) for r in watched)
        total = sum(alone[r.id].size for r in watched)
        lines.append(f"| {n} | {100 * same / total:.1f} % | {whole}/{len(watched)} |")
        print(lines[-1], flush=True)
    decoder.release()
    return "\n".join(lines)


# 3. speed and 4. profile: bench/fast_decoder.py's timing, on the product-loaded model ------------

def part_speed(model: Any, sizes: list[int], frames: int, device: str, stock: bool) -> str:
    import torch
    from fast_decoder import table, time_fast, time_stock

    from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder

    decoder = FastDecoder(model)
    time_stock(model, 1, 2, device)  # warm-up: allocator, kernels, pattern caches
    rows = []
    for batch in sizes:
        if stock:
            decoder.release()  # the fast buffers must not count in the stock run's memory
            if device == "cuda":
                torch.cuda.empty_cache()
            rows.append(time_stock(model, batch, frames, device))
            print(f"stock B={batch}: {rows[-1].seconds:.2f} s", flush=True)
        rows.append(time_fast(decoder, batch, frames, device))
        print(f"fast  B={batch}: {rows[-1].seconds:.2f} s", flush=True)
    decoder.release()
    return "\n".join([f"## Speed: {frames / FRAME_RATE:g} s clips ({frames + 3} steps), end to end with text conditions and "
                      f"EnCodec; fast decoder {'with CUDA graphs' if decoder.use_graphs else 'eager'}", "", table(rows)])


def part_profile(model: Any, batch: int, frames: int, device: str) -> str:
    from fast_decoder import profile

    return "## Profile\n\n" + profile(model, batch, frames, device, None)


# the run --------------------------------------------------------------------------------------

def describe(device: str) -> str:
    import torch

    card = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    return (f"{card}; torch {torch.__version__}, Python {sys.version.split()[0]}; "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def timed(results: Results, part: str, make: Callable[[], str]) -> None:
    started = time.perf_counter()
    try:
        text = make()
    except Exception as exc:  # noqa: BLE001 - one part failing must not lose the others
        import traceback

        text = f"## {part}: FAILED\n\n```\n{traceback.format_exc()[-3000:]}\n```"
        print(f"{part} failed: {exc}", file=sys.stderr, flush=True)
    results.write(part, f"{text}\n\n({part}: {time.perf_counter() - started:.0f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--size", default=None, choices=("medium", "tiny"),
                        help="the biggest checkpoint (default: medium on cuda, tiny on cpu); tiny is always built")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--sizes", default="1,16,64,256", help="batch sizes B for the speed table")
    parser.add_argument("--among", default="8,64,256", help="crowd sizes for batch independence")
    parser.add_argument("--seconds", type=float, default=5.0, help="clip length for speed, independence, profile")
    parser.add_argument("--no-stock", action="store_true", help="speed: time only the fast decoder")
    parser.add_argument("--quick", action="store_true", help="smaller builds (a CPU check of the harness)")
    parser.add_argument("--out", default=os.environ.get("OUT") or "gpu-check", help="results folder (default: $OUT)")
    args = parser.parse_args(argv)
    stand_ins = install_stand_ins()
    parts = [p for p in args.parts.split(",") if p]
    size = args.size or ("medium" if args.device == "cuda" else "tiny")
    results = Results(Path(args.out))

    from support.random_checkpoint import Size, write

    with tempfile.TemporaryDirectory(prefix="sfx-gpu-check-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        models = {"tiny": write(work / "tiny", Size.tiny(), half=True)}
        if size == "medium":
            models["medium"] = write(work / "medium", Size.medium(), half=True)
        results.write("setup", f"# GPU check: {describe(args.device)}\n\ncheckpoints {', '.join(models)} written in "
                               f"{time.perf_counter() - started:.0f} s"
                               + (f"; stand-ins for {', '.join(stand_ins)}" if stand_ins else ""))
        if "builds" in parts:
            timed(results, "builds", lambda: part_builds(models, args.device, work, args.quick))
        rest = [p for p in parts if p != "builds"]
        if not rest:
            return 0
        from fast_decoder import build_model

        started = time.perf_counter()
        model = build_model(size, args.device, models[size])
        frames = int(round(args.seconds * model.frame_rate))
        results.write("load", f"{size} model loaded through the product's loader in {time.perf_counter() - started:.1f} s: "
                              f"transformer {model.lm.transformer.layers[0].self_attn.in_proj_weight.dtype}, "
                              f"embeddings {model.lm.emb[0].weight.dtype}, autocast "
                              f"{'on' if model.autocast.autocast is not None else 'off'}")
        sizes = [int(b) for b in args.sizes.split(",")]
        if "independence" in parts:
            timed(results, "independence", lambda: part_independence(model, frames, [int(n) for n in args.among.split(",")]))
        if "speed" in parts:
            timed(results, "speed", lambda: part_speed(model, sizes, frames, args.device, not args.no_stock))
        if "profile" in parts:
            # Per-step costs do not depend on the clip's length: 2 s clips profile as well, in less time.
            profile_frames = min(frames, 2 * FRAME_RATE)
            timed(results, "profile", lambda: part_profile(model, min(64, max(sizes)), profile_frames, args.device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
