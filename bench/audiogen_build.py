"""A whole `build` of many 5 s sounds with AudioGen: stock batches against the fast decoder.

Writes a random-weight checkpoint with the audiogen-medium architecture (float16, in
audiocraft's release format), makes a project of N descriptors with varied prompts, and
builds it once per decoder, each into an empty cache, in one run: the same work two ways.
Prints a table: model load, generation time, seconds of audio per second of wall time,
the batch sizes used and peak GPU memory.

    python bench/audiogen_build.py                                   # a CUDA machine: medium, 64 x 5 s
    python bench/audiogen_build.py --device cpu --size tiny --sounds 16 --seconds 2   # checked here

A benchmark harness: where xformers or spacy are missing it installs stand-ins (standins.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # support.random_checkpoint: test and benchmark models, not shipped

from standins import install_stand_ins  # noqa: E402 - after the path set-up above

PROMPTS = ["heavy rain on a tin roof", "footsteps on gravel", "wooden door creaking open", "coin pickup chime",
           "laser gun shot", "glass shattering on tiles", "campfire crackling", "wind howling in the mountains",
           "metal swords clashing", "car engine idling", "birds chirping at dawn", "distant explosion"]


def make_project(root: Path, model: Path, sounds: int, seconds: float, device: str, decoder: str) -> Path:
    root.mkdir(parents=True)
    (root / "sfx-pipeline.toml").write_text(
        f'import_dir = "audio"\n[generator]\nbackend = "audiogen"\nmodel = "{model.as_posix()}"\n'
        f'device = "{device}"\ndecoder = "{decoder}"\n')
    for i in range(sounds):
        (root / "sfx").mkdir(exist_ok=True)
        (root / "sfx" / f"sound_{i:03d}.sfx.toml").write_text(
            f'prompt = "{PROMPTS[i % len(PROMPTS)]}"\nduration = {seconds}\nseed = {i}\n')
    return root


def run_build(root: Path, cache: Path, device: str) -> dict:
    import torch

    from sfx_pipeline.build import Options, build
    from sfx_pipeline.project import Project
    from sfx_pipeline.report import QuietReporter

    os.environ["SFX_PIPELINE_CACHE"] = str(cache)
    reporter = QuietReporter()
    project = Project(root, reporter)
    if device == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    report = build(project, Options())
    lock = json.loads(project.config.lock_path.read_text())
    # stock batches record their size; the fast decoder's sounds are independent of any batch
    sizes = Counter(e["batch"].get("size", "none (slots)") for e in lock["assets"].values())
    return {
        "load": next((float(line.split(" in ")[-1].rstrip(" s")) for line in reporter.lines
                      if line.startswith("loaded AudioGen")), 0.0),
        "generate": report.generate_seconds,
        "audio": report.audio_seconds,
        "failed": report.count("failed"),
        "sizes": dict(sizes),
        "peak": torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None,
        "messages": [m for m in reporter.lines if m.startswith(("AudioGen", "out of"))],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--size", choices=("medium", "tiny"), default="medium")
    parser.add_argument("--sounds", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--decoders", default="audiocraft,fast")
    args = parser.parse_args()
    stand_ins = install_stand_ins()
    import torch

    from support.random_checkpoint import Size, write

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        model = write(Path(tmp) / "model", Size.medium() if args.size == "medium" else Size.tiny(), half=True)
        written = time.perf_counter() - started
        rows = []
        for decoder in args.decoders.split(","):
            root = make_project(Path(tmp) / decoder, model, args.sounds, args.seconds, args.device, decoder)
            rows.append((decoder, run_build(root, Path(tmp) / f"cache-{decoder}", args.device)))
    device = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    print(f"{device}, torch {torch.__version__}, {args.size} architecture with random weights "
          f"(checkpoint written in {written:.0f} s){'; stand-ins: ' + ', '.join(stand_ins) if stand_ins else ''}")
    print(f"{args.sounds} sounds of {args.seconds:g} s, one build per decoder, each into an empty cache\n")
    print("| decoder | model load s | generate s | audio-s per s | batch sizes (sounds) | peak GiB | failed |")
    print("|---|---|---|---|---|---|---|")
    for decoder, r in rows:
        rate = r["audio"] / max(r["generate"] - r["load"], 1e-9)
        sizes = ", ".join(f"{k}: {v}" for k, v in sorted(r["sizes"].items(), key=str))
        peak = f"{r['peak']:.1f}" if r["peak"] is not None else "-"
        print(f"| {decoder} | {r['load']:.1f} | {r['generate'] - r['load']:.1f} | {rate:.1f} | {sizes} | {peak} "
              f"| {r['failed']} |")
    base = next((r for d, r in rows if d == "audiocraft"), None)
    fast = next((r for d, r in rows if d == "fast"), None)
    if base and fast:
        ratio = (base["generate"] - base["load"]) / max(fast["generate"] - fast["load"], 1e-9)
        print(f"\nfast / stock speed-up on the whole build's generation: {ratio:.1f}x")
    for decoder, r in rows:
        for message in r["messages"]:
            print(f"  [{decoder}] {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
