"""A no-op `status` where `auto` asks torch for a GPU: planned in full against replayed.

With `[generator] backend = "auto"`, device auto and a model's weights on disk, choosing the
backend imports torch and asks it whether there is a CUDA GPU. A no-op that replays the
snapshot checks what that answer rests on instead (`generators/audiogen/gpu.py`); one that
cannot (no snapshot, or before the answer was kept) plans in full and imports torch. After
one descriptor is edited, `status` plans it alone with the recorded answer (cli/delta.py).
All three are timed here as whole processes, `python -m sfx_pipeline status`, median of --repeat:
wall and CPU seconds and peak memory.

On a machine without a GPU torch answers "no" after loading its CUDA libraries; where there
is one, asking also initialises the driver, which this script cannot measure without one.

    python bench/noop_gpu_probe.py [--descriptors 1000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Nothing of sfx_pipeline or torch is imported here: a child's peak memory as the OS reports
# it starts from this process's size at the fork. The checkpoint is written by a child too.
WRITE_MODEL = ("import sys; sys.path.insert(0, sys.argv[2]); from pathlib import Path; "
               "from support.random_checkpoint import write; write(Path(sys.argv[1]))")


def run_once(argv: list[str]) -> tuple[float, float, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not hasattr(os, "wait4"):
        proc.wait()  # Windows: wall time only
        return time.perf_counter() - started, float("nan"), float("nan")
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 2):
        raise SystemExit(f"{argv} failed")
    per_mib = 1024 * 1024 if sys.platform == "darwin" else 1024
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / per_mib


def set_up(tmp: Path, count: int) -> Path:
    model = tmp / "model"
    subprocess.run([sys.executable, "-c", WRITE_MODEL, str(model), str(ROOT / "tests")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = tmp / "game"
    (root / "sfx").mkdir(parents=True)
    (root / "sfx-pipeline.toml").write_text(f'import_dir = "audio"\n[generator]\nbackend = "auto"\n'
                                            f'model = "{model.as_posix()}"\n')
    for i in range(count):
        (root / "sfx" / f"sound_{i:05d}.sfx.toml").write_text(f'prompt = "rain {i}"\nduration = 0.5\nseed = {i}\n')
    subprocess.run(status(root, "build"), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)  # the weights and outputs are no longer "racy": their stat alone vouches for them
    return root


def status(root: Path, command: str = "status") -> list[str]:
    return [sys.executable, "-m", "sfx_pipeline", command, "--project", str(root)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--descriptors", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SFX_PIPELINE_CACHE"] = str(Path(tmp) / "cache")
        root = set_up(Path(tmp), args.descriptors)
        snapshot = root / ".sfx-pipeline" / "noop.json"
        full, replayed, edited = [], [], []
        first = root / "sfx" / "sound_00000.sfx.toml"
        run_once(status(root))  # warm-up: file cache; it leaves the snapshot
        for i in range(args.repeat):  # interleaved, so all see the same load on the machine
            snapshot.unlink()
            full.append(run_once(status(root)))
            if not snapshot.exists():
                raise SystemExit("no snapshot was recorded: the replay below would plan in full too")
            replayed.append(run_once(status(root)))
            first.write_text(f'prompt = "rain 0"\nduration = 0.5\nseed = {1000 + i}\n')
            edited.append(run_once(status(root)))
            if '"made": "delta"' not in snapshot.read_text():
                raise SystemExit("the edit was planned in full: the row below would not time the patched plan")
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {sys.platform}; `status`, "
              f"{args.descriptors} descriptors, backend and device auto, weights on disk; median of {args.repeat}\n")
        print("| run | wall s | cpu s | peak MiB |")
        print("|---|---|---|---|")
        for label, runs in (("planned in full: torch imported and asked", full),
                            ("replayed: what torch's answer rests on is stat'ed", replayed),
                            ("one descriptor edited: planned alone, with the recorded answer", edited)):
            wall, cpu, peak = (statistics.median(r[i] for r in runs) for i in range(3))
            print(f"| {label} | {wall:.3f} | {cpu:.3f} | {peak:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
