"""No-op builds at scale, and a first build, with the procedural generator.

Prints one table. The reference is a bare loop that only reads and parses every
descriptor with tomllib: a no-op `status` or `build` cannot do less than that, and the
aim is to stay within 1.5x of it (outputs are checked by stat, not by hashing).

    python bench/noop_build.py [--descriptors 5000] [--first 200] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

from sfx_pipeline.build import Options, build
from sfx_pipeline.generators.procedural import backend as procedural
from sfx_pipeline.project import Project
from sfx_pipeline.report import QuietReporter

FIRST_BUILD_DURATIONS = (0.5, 1.0, 2.0, 4.0)  # one-shots to ambiences, as a game has them
PROMPTS = ["heavy rain on a roof", "footsteps on gravel", "wooden door creaking", "coin pickup", "laser shot",
           "glass shattering", "campfire crackling", "wind howling", "sword clash", "engine idling"]


def make_project(root: Path, count: int, durations: tuple[float, ...] = (0.5,)) -> Path:
    root.mkdir(parents=True)
    (root / "sfx-pipeline.toml").write_text('import_dir = "audio"\n[generator]\nbackend = "procedural"\n')
    for i in range(count):
        folder = root / "sfx" / f"group_{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"sound_{i:05d}.sfx.toml").write_text(
            f'prompt = "{PROMPTS[i % len(PROMPTS)]} {i}"\nduration = {durations[i % len(durations)]}\nseed = {i}\n\n'
            '[output]\nfade_out = 0.05\n')
    return root


def first_build(root: Path, cache: Path, workers: int) -> float:
    """A first build into an empty cache and an empty output folder."""
    os.environ["SFX_PIPELINE_CACHE"] = str(cache)
    for leftover in (root / "audio", root / ".sfx-pipeline", root / "sfx-pipeline.lock"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)
    saved, procedural.WORKERS = procedural.WORKERS, workers
    try:
        return timed(lambda: build(Project(root, QuietReporter()), Options()))
    finally:
        procedural.WORKERS = saved


def bare_parse(root: Path) -> float:
    started = time.perf_counter()
    for path in sorted((root / "sfx").rglob("*.sfx.toml")):
        tomllib.loads(path.read_bytes().decode("utf-8"))
    return time.perf_counter() - started


def timed(step) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def median_of(repeat: int, step) -> float:
    return statistics.median(timed(step) for _ in range(repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptors", type=int, default=5000)
    parser.add_argument("--first", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = make_project(Path(tmp) / "big", args.descriptors)
        small = make_project(Path(tmp) / "small", args.first, FIRST_BUILD_DURATIONS)

        first_count = args.first
        threaded = first_build(small, Path(tmp) / "cache-threaded", procedural.WORKERS)
        sequential = first_build(small, Path(tmp) / "cache-sequential", 1)

        os.environ["SFX_PIPELINE_CACHE"] = str(Path(tmp) / "cache")
        setup = timed(lambda: build(Project(big, QuietReporter()), Options()))
        time.sleep(2.1)  # past the racy-timestamp window, as any later build would be

        rows = [
            ("bare tomllib parse", median_of(args.repeat, lambda: bare_parse(big))),
            ("no-op status", median_of(args.repeat, lambda: Project(big, QuietReporter()).survey())),
            ("no-op build", median_of(args.repeat, lambda: build(Project(big, QuietReporter()), Options()))),
        ]
    base = rows[0][1]
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; median of {args.repeat} runs\n")
    print(f"| step ({args.descriptors} descriptors) | seconds | x bare parse |")
    print("|---|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.3f} | {seconds / base:.2f} |")
    print(f"\n| first build, {first_count} procedural sounds of 0.5 to 4 s | seconds | ms a sound |")
    print("|---|---|---|")
    print(f"| one thread | {sequential:.2f} | {sequential / first_count * 1000:.1f} |")
    print(f"| {procedural.WORKERS} threads | {threaded:.2f} | {threaded / first_count * 1000:.1f} |")
    print(f"\nfirst build of the {args.descriptors}: {setup:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
