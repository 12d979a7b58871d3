"""A build killed at any moment leaves every output whole, and the next build goes on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sfx_pipeline.audio.wav import decode
from sfx_pipeline.hashing import digest
from support.project import GameProject


def start_build(root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sfx_pipeline", "build", "--project", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())


def wait_for_outputs(folder: Path, count: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if folder.is_dir() and len([p for p in folder.iterdir() if p.suffix == ".wav"]) >= count:
            return
        time.sleep(0.005)


def build_and_signal(project: GameProject, signum: int, after: int) -> subprocess.Popen:
    """Start a build of 30 three-second sounds and signal it once `after` are installed."""
    for i in range(30):
        project.sound(f"rain_{i:02d}", "heavy rain on a tin roof", f"seed = {i}\n", duration=3.0)
    proc = start_build(project.root)
    wait_for_outputs(project.root / "audio", after, proc)
    proc.send_signal(signum)
    return proc


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_kill_minus_nine_mid_build_loses_nothing_finished(project: GameProject) -> None:
    proc = build_and_signal(project, signal.SIGKILL, after=5)
    proc.wait()
    done = sorted((project.root / "audio").glob("*.wav"))
    assert 5 <= len(done) < 30, "the build should have been killed midway"
    for wav in done:
        parsed = decode(wav.read_bytes())  # complete RIFF, every chunk whole
        assert parsed.frames == 3 * 48000
    leftovers = [p.name for p in (project.root / "audio").iterdir() if p.suffix != ".wav"]
    assert all(name.startswith(".") and name.endswith(".tmp") for name in leftovers)  # hidden from engines

    run = project.run("build", "--json")
    doc = json.loads(run.out)
    generated = {a["output"] for a in doc["assets"] if a["outcome"] == "generated"}
    assert not generated & {f"audio/{w.name}" for w in done}  # finished work is not redone
    assert doc["counts"]["installed"] + doc["counts"]["fresh"] == 30 and run.code == 0


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM delivery is POSIX")
def test_sigterm_unwinds_like_ctrl_c(project: GameProject) -> None:
    # Editor plugins and CI stop child processes with SIGTERM: the build must clean up.
    proc = build_and_signal(project, signal.SIGTERM, after=3)
    assert proc.wait(timeout=60) == 143
    audio = project.root / "audio"
    assert not [p.name for p in audio.iterdir() if p.name.endswith(".tmp")]  # the finally blocks ran
    lock = json.loads((project.root / "sfx-pipeline.lock").read_text())["assets"]
    done = {f"audio/{p.name}" for p in audio.glob("*.wav")}
    assert set(lock) <= done  # the lock never lists a sound that is not there
    for output, entry in lock.items():
        assert digest((project.root / output).read_bytes()) == entry["output_digest"]
    # A sound installed in the instant before the signal may be missing from the lock; the
    # next run must still know it as its own: fresh, never "modified" or "not ours".
    status = json.loads(project.run("status", "--json").out)
    by_status = {a["output"]: a["status"] for a in status["assets"]}
    assert {o for o in done if by_status[o] != "fresh"} == set()
