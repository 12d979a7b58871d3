"""bench/gpu_check.py, the one command that proves the product on a GPU, run end to end on the
CPU with the tiny checkpoint, so the script a GPU session depends on cannot rot unnoticed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_runs_every_part_on_the_cpu_and_writes_each_as_it_finishes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py"), "--device", "cpu", "--quick",
                           "--sizes", "1,2", "--among", "2", "--seconds", "0.5", "--out", str(out)],
                          capture_output=True, text=True, env=os.environ.copy(), timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    files = sorted(p.name for p in out.iterdir())
    assert files == ["01-setup.md", "02-builds.md", "03-load.md", "04-independence.md", "05-speed.md", "06-profile.md"]
    text = {name: (out / name).read_text() for name in files}
    assert not any("FAILED" in t for t in text.values())
    builds = text["02-builds.md"]
    for decoder in ("fast", "audiocraft"):  # 3 WAVs whole, 0 failed, from a whole `sfx-pipeline build`
        assert f"| tiny | {decoder} | 3 x 0.5 s | 3 | 0 |" in builds
    assert "`doctor --smoke` (tiny, exit 0" in builds and "ok    smoke test" in builds
    assert "| 2 | 100.0 % | 2/2 |" in text["04-independence.md"]  # exact mode on a CPU: batch-invariant
    assert "| 2 | fast |" in text["05-speed.md"] and "| 2 | stock |" in text["05-speed.md"]
    assert "CPU op time per decoding step" in text["06-profile.md"]
