"""Save-to-sound latency of `watch`, with the procedural generator.

A temp project, `sfx-pipeline watch` running in its own process as a user runs it, and N
saves of one descriptor, each with a new prompt. Each save is timed from just before the
write to the moment the installed WAV carries the new prompt (its INFO chunk, read back
whole), once with file events and once with --poll; the next save waits for the build's
report line (its lock written too). Prints one markdown table; the aim is p95 under 150 ms
with file events and the default settle time. Each project is built once by the CLI before
its watcher starts, so a big --sounds measures the saves, not the first build.

A second table times the rebuild after a save on its own, in one process, three ways: the
saved descriptor alone planned and built, the rest taken from the last plan's record
(`cli/build_part.rebuild`, what `sfx-pipeline watch` does); the whole project planned,
kept warm between plans (`Project.plans_again`: an unchanged file's specs and targets made
once), as it did before; and every plan making them again from the memo rows, as a
one-shot command does.

    python bench/watch_latency.py [--saves 50] [--sounds 20] [--settle 0.1] [--poll 0.1]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sfx_pipeline.audio.wav import decode
from sfx_pipeline.build import Options, build
from sfx_pipeline.cli import snapshot
from sfx_pipeline.cli.build_part import rebuild
from sfx_pipeline.project import Project
from sfx_pipeline.report import QuietReporter
from sfx_pipeline.watch.session import Settings

_TIMEOUT = 30.0


def make_project(root: Path, sounds: int) -> Path:
    (root / "sfx").mkdir(parents=True)
    (root / "sfx-pipeline.toml").write_text('engine = "generic"\nimport_dir = "audio"\n[generator]\nbackend = "procedural"\n')
    for i in range(sounds):
        (root / "sfx" / f"sound_{i:03d}.sfx.toml").write_text(f'prompt = "rain on a roof {i}"\nduration = 0.5\nseed = {i}\n')
    return root


def save(path: Path, prompt: str) -> None:
    path.write_text(f'prompt = "{prompt}"\nduration = 0.5\nseed = 1\n')  # in place, as most editors do


def installed_prompt(wav: Path, last: tuple[int, int] | None) -> tuple[str | None, tuple[int, int] | None]:
    """The WAV's prompt, decoding only when its stat changed: the poll must not steal the
    watcher's CPU (on two cores, each decode is time the watcher does not get)."""
    try:
        st = os.stat(wav)
    except FileNotFoundError:
        return None, last
    stamp = (st.st_ino, st.st_mtime_ns)
    if stamp == last:
        return None, last
    return decode(wav.read_bytes()).info.get("INAM"), stamp


def wait(what: str, ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + _TIMEOUT
    while not ready():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.001)


class Watcher:
    """`sfx-pipeline watch` as a user runs it: its own process, its report lines read as they
    come (one line per finished build, "N installed (...) in S s")."""

    def __init__(self, root: Path, settle: float, poll: float | None) -> None:
        argv = [sys.executable, "-u", "-m", "sfx_pipeline", "watch", "--project", str(root), "--settle", str(settle)]
        self.process = subprocess.Popen(argv + (["--poll", str(poll)] if poll else []), stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, text=True)
        self.builds: list[float] = []  # each finished build's own time, as it reports it
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            done = _BUILT.search(line)
            if done:
                self.builds.append(float(done.group(1)))

    def built_more_than(self, n: int) -> Callable[[], bool]:
        return lambda: len(self.builds) > n

    def stop(self) -> None:
        if os.name == "nt":
            self.process.terminate()
        else:
            self.process.send_signal(signal.SIGINT)  # Ctrl-C, as a user stops it
        try:
            self.process.wait(_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()


_BUILT = re.compile(r"installed \(.* in ([0-9.]+) s")


def measure(root: Path, saves: int, settle: float, poll: float | None) -> tuple[list[float], list[float]]:
    watcher = Watcher(root, settle, poll)
    descriptor, wav = root / "sfx" / "door.sfx.toml", root / "audio" / "door.wav"
    latencies: list[float] = []
    stamp: tuple[int, int] | None = None
    try:
        wait("the rescan", watcher.built_more_than(0))
        for i in range(saves + 1):  # the first save is a warm-up, not timed
            builds = len(watcher.builds)
            prompt = f"door {poll or 'events'} take {i}"
            started = time.perf_counter()
            save(descriptor, prompt)
            while True:
                seen, stamp = installed_prompt(wav, stamp)
                if seen == prompt:
                    break
                if time.perf_counter() - started > _TIMEOUT:
                    raise SystemExit(f"save {i} never arrived")
                time.sleep(0.001)
            latencies.append(time.perf_counter() - started)
            wait("the build to end", watcher.built_more_than(builds))  # its lock written too
            time.sleep(0.05)  # saves apart, as a person makes them
    finally:
        watcher.stop()
    return latencies[1:], watcher.builds[2:]


def rebuild_alone(root: Path, saves: int, mode: str) -> tuple[float, int]:
    """Median seconds of a build right after a save, in this process, on one Project, and how
    many of the saves took the patched path. `mode`: "patched" (the saved descriptor alone
    planned, where the last plan's record vouches for the rest, as `sfx-pipeline watch`
    builds), "warm" (the whole project planned, kept warm as `watch` keeps it) or "cold"
    (every plan made from the memo rows, as a one-shot command makes it)."""
    project = Project(root, QuietReporter())
    if mode == "patched":
        project.recorder = snapshot.record  # as the command line opens a project
    if mode != "cold":
        project.plans_again()
    build(project, Options())
    seconds, patched = [], 0
    for i in range(saves + 1):  # the first is a warm-up
        save(root / "sfx" / "door.sfx.toml", f"door {mode} {i}")
        started = time.perf_counter()
        report = rebuild(project, Options()) if mode == "patched" else None
        if report is None:
            build(project, Options())
        seconds.append(time.perf_counter() - started)
        patched += report is not None and i > 0
    return statistics.median(seconds[1:]), patched


def built(root: Path) -> Path:
    subprocess.run([sys.executable, "-m", "sfx_pipeline", "build", "--project", str(root)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return root


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=50)
    parser.add_argument("--sounds", type=int, default=20, help="other descriptors in the project")
    parser.add_argument("--settle", type=float, default=0.1)
    parser.add_argument("--poll", type=float, default=0.1, help="polling interval for the --poll run")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SFX_PIPELINE_CACHE"] = str(Path(tmp) / "cache")
        for label, settings in (("file events", Settings(args.settle)),
                                (f"--poll {args.poll:g}", Settings(args.settle, poll=args.poll))):
            root = make_project(Path(tmp) / label.replace(" ", "_"), args.sounds)
            (root / "sfx" / "door.sfx.toml").write_text('prompt = "door"\nduration = 0.5\nseed = 1\n')
            latencies, builds = measure(built(root), args.saves, args.settle, settings.poll)
            rows.append((label, settings.effective_settle(), latencies, builds))
        alone = {mode: rebuild_alone(root, args.saves, mode) for mode in ("patched", "warm", "cold")}
    print(f"Python {sys.version.split()[0]}, {sys.platform}, {os.cpu_count()} CPUs; {args.saves} saves of one "
          f"descriptor in a project of {args.sounds + 1}; procedural sounds of 0.5 s\n")
    print("| observer | settle (s) | p50 (ms) | p95 (ms) | max (ms) | build as watch reports it, mean (ms) |")
    print("|---|---|---|---|---|---|")
    for label, settle, latencies, builds in rows:
        ms = [v * 1000 for v in latencies]
        print(f"| {label} | {settle:g} | {statistics.median(ms):.0f} | {percentile(ms, 95):.0f} | {max(ms):.0f} "
              f"| {statistics.mean(builds) * 1000:.1f} |")
    print("\n| rebuild after a save, in one process | median (ms) | x patched |\n|---|---|---|")
    labels = {"patched": f"the saved descriptor alone planned, as watch builds ({alone['patched'][1]} of "
                         f"{args.saves} saves patched)",
              "warm": "the whole project planned, kept warm", "cold": "every plan made from the memo rows"}
    for mode, label in labels.items():
        print(f"| {label} | {alone[mode][0] * 1000:.0f} | {alone[mode][0] / alone['patched'][0]:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
