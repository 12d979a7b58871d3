"""No-op `status` and `build` as a user pays for them: whole processes, against a bare parse.

A pre-build hook, a pre-commit hook and an editor's build button each start a process, so
each run here is one: `python -m sfx_pipeline status`, `build` and `build --dry-run --json`
on a project where nothing changed, against `python -c` that only imports tomllib and
parses every descriptor (what any tool that reads the descriptors pays at the least). The
aim: a no-op within 0.5x of the bare parse. Every figure is the median of --repeat runs:
wall seconds, CPU seconds (user + system, of that process) and its peak memory.

Then `status` right after a build that remade one sound (its files are "racily clean": checked
by content), and `status`, `build --dry-run --json` and `build` right after one descriptor
changed: the work a change costs. A one-shot command then plans only the changed descriptor
and patches the snapshot's answer (cli/delta.py); the same edit is also measured planned in
full (the snapshot removed first), which is what every edit cost before. A `build` makes the
edited sound and splices its entry into the lock (cli/delta_build.py). Each project is measured 2.5 s after its first build, once
no file is racy. Then the same at several project sizes, to show the no-op stays linear and
an edit costs the no-op plus the changed descriptor, and a first build of --first
procedural sounds on one thread and on all of them.

    python bench/noop_build.py [--descriptors 5000] [--sizes 1000,5000,20000,50000] [--repeat 7] [--first 200]

Every descriptor describes the same sound under its own name (a no-op never looks at the
audio), so setting a project up synthesizes one sound and installs it N times.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Nothing of sfx_pipeline is imported here: every build and every measured run is its own
# process. (A child's peak memory as the OS reports it starts from this process's size at
# the fork, so this one stays small.)

FIRST_BUILD_DURATIONS = (0.5, 1.0, 2.0, 4.0)  # one-shots to ambiences, as a game has them
PROMPTS = ["heavy rain on a roof", "footsteps on gravel", "wooden door creaking", "coin pickup", "laser shot",
           "glass shattering", "campfire crackling", "wind howling", "sword clash", "engine idling"]

# The yardstick, as its own process: find every descriptor and parse it, nothing else.
BARE_PARSE = """
import os, sys, tomllib
def walk(folder):
    for entry in os.scandir(folder):
        if entry.is_dir():
            yield from walk(entry.path)
        elif entry.name.endswith(".sfx.toml"):
            yield entry.path
for path in sorted(walk(sys.argv[1])):
    with open(path, "rb") as stream:
        tomllib.loads(stream.read().decode("utf-8"))
"""


def make_project(root: Path, count: int, durations: tuple[float, ...] = (0.5,), same_sound: bool = False) -> Path:
    root.mkdir(parents=True)
    (root / "sfx-pipeline.toml").write_text('import_dir = "audio"\n[generator]\nbackend = "procedural"\n')
    for i in range(count):
        folder = root / "sfx" / f"group_{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        prompt = PROMPTS[0] if same_sound else f"{PROMPTS[i % len(PROMPTS)]} {i}"
        seed = 1 if same_sound else i
        (folder / f"sound_{i:05d}.sfx.toml").write_text(
            f'prompt = "{prompt}"\nduration = {durations[i % len(durations)]}\nseed = {seed}\n\n'
            '[output]\nfade_out = 0.05\n')
    return root


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float


def run_once(argv: list[str]) -> Run:
    """One whole process: wall time around it, and its own CPU time and peak memory (wait4)."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        per_mib = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
        return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / per_mib)
    proc.wait()  # Windows: wall time only
    return Run(time.perf_counter() - started, float("nan"), float("nan"))


def median_run(argv: list[str], repeat: int) -> Run:
    run_once(argv)  # warm-up: file cache, and the snapshot settled after the build
    runs = [run_once(argv) for _ in range(repeat)]
    return Run(*(statistics.median(getattr(r, f) for r in runs) for f in ("wall", "cpu", "peak_mib")))


def after_edit(root: Path, argv: list[str], repeat: int, comment: bool = False, whole: bool = False) -> Run:
    """`argv` right after one descriptor changed (a new seed each time, or with `comment` a
    new comment line, which changes no key), as after a save in the editor: the median of
    `repeat` runs, each seeing a fresh edit. With `whole`, the snapshot is removed first, so
    the run plans the whole project (its memos still spare it the unchanged files' TOML):
    what every edit cost before only the changed descriptors were planned."""
    edited = next((root / "sfx").rglob("*.sfx.toml"))
    original = edited.read_text()
    runs = []
    for i in range(repeat + 1):  # the first is a warm-up, as in median_run
        edited.write_text(original + f"# take {i}\n" if comment else re.sub(r"seed = \d+", f"seed = {1000 + i}", original))
        if whole:
            (root / ".sfx-pipeline" / "noop.json").unlink(missing_ok=True)
        runs.append(run_once(argv))
    edited.write_text(original)
    subprocess.run(argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # settle again
    runs = runs[1:]
    return Run(*(statistics.median(getattr(r, f) for r in runs) for f in ("wall", "cpu", "peak_mib")))


def right_after_a_build(root: Path, argv: list[str], repeat: int) -> Run:
    """`argv` started the moment a build that remade one sound ended (its WAV, the lock and
    the descriptor are then racily clean: compared by content, not by stat)."""
    edited = next((root / "sfx").rglob("*.sfx.toml"))
    original = edited.read_text()
    runs = []
    for i in range(repeat + 1):
        edited.write_text(re.sub(r"seed = \d+", f"seed = {2000 + i}", original))
        subprocess.run(cli(root, "build"), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs.append(run_once(argv))
    edited.write_text(original)
    subprocess.run(cli(root, "build"), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    runs = runs[1:]
    return Run(*(statistics.median(getattr(r, f) for r in runs) for f in ("wall", "cpu", "peak_mib")))


def cli(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "sfx_pipeline", *args, "--project", str(root)]


def bare(root: Path) -> list[str]:
    return [sys.executable, "-c", BARE_PARSE, str(root / "sfx")]


def first_build(root: Path, cache: Path, workers: int) -> float:
    """A first build into an empty cache and an empty output folder, with `workers` threads."""
    for leftover in (root / "audio", root / ".sfx-pipeline", root / "sfx-pipeline.lock"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink(missing_ok=True)
    code = ("import sys; from sfx_pipeline.generators.procedural import backend; "
            f"backend.WORKERS = {workers}; from sfx_pipeline.cli import main; sys.exit(main(sys.argv[1:]))")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, "build", "--project", str(root)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, CACHE_ENV: str(cache)})
    return time.perf_counter() - started


def set_up(root: Path, count: int) -> Path:
    make_project(root, count, same_sound=True)
    subprocess.run(cli(root, "build"), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Every file the first build wrote is "racily clean" for 2 s (noop.RACY_NS), and a no-op
    # then hashes them all: measure the steady state, as a user's next run sees it.
    time.sleep(2.5)
    return root


CACHE_ENV = "SFX_PIPELINE_CACHE"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptors", type=int, default=5000)
    parser.add_argument("--sizes", default="", help="comma-separated project sizes for the scaling table")
    parser.add_argument("--first", type=int, default=200, help="sounds in the first-build table (0: skip it)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {sys.platform}; "
          f"whole processes, median of {args.repeat} runs\n")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ[CACHE_ENV] = str(Path(tmp) / "cache")
        floor = median_run([sys.executable, "-c", "pass"], args.repeat)
        root = set_up(Path(tmp) / "main", args.descriptors)
        base = median_run(bare(root), args.repeat)
        rows = [("bare tomllib parse (process start included)", base)]
        rows += [(f"no-op `{' '.join(cmd)}`", median_run(cli(root, *cmd), args.repeat))
                 for cmd in (("status",), ("build",), ("build", "--dry-run", "--json"))]
        rows.append(("no-op `status` right after a build that remade one sound",
                     right_after_a_build(root, cli(root, "status"), args.repeat)))
        rows += [(f"one descriptor edited, then `{' '.join(cmd)}`", after_edit(root, cli(root, *cmd), args.repeat))
                 for cmd in (("status",), ("build", "--dry-run", "--json"), ("build",))]
        rows += [(f"one descriptor edited, then `{cmd}`, planned in full (no snapshot to patch)",
                  after_edit(root, cli(root, cmd), args.repeat, whole=True)) for cmd in ("status", "build")]
        rows.append(("a comment added to one descriptor, then `build` (nothing to build)",
                     after_edit(root, cli(root, "build"), args.repeat, comment=True)))
        print(f"| {args.descriptors} descriptors | wall s | x bare | cpu s | x bare | peak MiB |")
        print("|---|---|---|---|---|---|")
        for label, r in rows:
            print(f"| {label} | {r.wall:.3f} | {r.wall / base.wall:.2f} | {r.cpu:.3f} | {r.cpu / base.cpu:.2f} "
                  f"| {r.peak_mib:.1f} |")
        print(f"\n(`python -c pass` alone: {floor.wall:.3f} s wall, {floor.cpu:.3f} s cpu, {floor.peak_mib:.1f} MiB; "
              "no peak below this process's own size at the fork can show)")
        shutil.rmtree(root)
        if args.sizes:
            print("\n| descriptors | no-op status wall s | cpu s | peak MiB | bare parse wall s | cpu s | peak MiB "
                  "| x bare (cpu) | one edit, status cpu s | x bare (cpu) | planned in full cpu s "
                  "| one edit, build cpu s | planned in full cpu s |")
            print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
            for size in (int(s) for s in args.sizes.split(",")):
                scaled = set_up(Path(tmp) / f"size-{size}", size)
                noop, parse = median_run(cli(scaled, "status"), args.repeat), median_run(bare(scaled), args.repeat)
                edit = after_edit(scaled, cli(scaled, "status"), args.repeat)
                whole = after_edit(scaled, cli(scaled, "status"), args.repeat, whole=True)
                built = after_edit(scaled, cli(scaled, "build"), args.repeat)
                built_whole = after_edit(scaled, cli(scaled, "build"), args.repeat, whole=True)
                print(f"| {size} | {noop.wall:.3f} | {noop.cpu:.3f} | {noop.peak_mib:.1f} | {parse.wall:.3f} "
                      f"| {parse.cpu:.3f} | {parse.peak_mib:.1f} | {noop.cpu / parse.cpu:.2f} "
                      f"| {edit.cpu:.3f} | {edit.cpu / parse.cpu:.2f} | {whole.cpu:.3f} "
                      f"| {built.cpu:.3f} | {built_whole.cpu:.3f} |", flush=True)
                shutil.rmtree(scaled)
        if args.first:
            small = make_project(Path(tmp) / "first", args.first, FIRST_BUILD_DURATIONS)
            cores = os.cpu_count() or 1
            threaded = first_build(small, Path(tmp) / "cache-threaded", cores)
            sequential = first_build(small, Path(tmp) / "cache-sequential", 1)
            print(f"\n| first build, {args.first} procedural sounds of 0.5 to 4 s | seconds | ms a sound |")
            print("|---|---|---|")
            print(f"| one thread | {sequential:.2f} | {sequential / args.first * 1000:.1f} |")
            print(f"| {cores} threads | {threaded:.2f} | {threaded / args.first * 1000:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
