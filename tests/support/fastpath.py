"""Driving the no-op fast path (cli/noop.py) and the full path side by side, for the tests
that hold the two to print the same."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from sfx_pipeline.cli import fast_path, noop
from support.project import GameProject, Run

HOUR_NS = 3600 * 10**9
# A descriptor that lists two sounds, as the projects of the fast path's tests have one.
TWO_SOUNDS = """
    [[sound]]
    name = "blip"
    prompt = "coin pickup"
    seed = 3
    [[sound]]
    name = "click"
    prompt = "laser shot"
    seed = 4
"""
SNAPSHOT = Path(".sfx-pipeline") / noop.SNAPSHOT


def replayed(project: GameProject, *args: str) -> Run | None:
    """Run through the fast path only: None when it declines (the full path would run)."""
    project.capsys.readouterr()
    code = fast_path([*args[:1], "--project", str(project.root), *args[1:]])
    captured = project.capsys.readouterr()
    return None if code is None else Run(code, captured.out, captured.err)


def planned(project: GameProject, *args: str) -> Run:
    """Run through the full path (no snapshot to replay); it records a new snapshot."""
    (project.root / SNAPSHOT).unlink(missing_ok=True)
    return project.run(*args)


def made_by(project: GameProject) -> str:
    """Who made the snapshot there: a whole plan ("plan") or a patch of one ("delta")."""
    return str(json.loads((project.root / SNAPSHOT).read_text())["made"])


def without_time(text: str) -> str:
    """The one thing a replay may print differently: how long it took."""
    lines = []
    for line in text.splitlines():
        if '"seconds":' in line:
            continue
        # a build's summary: "..., 4 fresh in 0.01 s; generated 0.5 s of audio at 13.5x real time"
        line = re.sub(r" in \d+\.\d\d s(;|$)", r"\1", line)
        lines.append(re.sub(r" at \d+\.\dx real time", "", line))
    return "\n".join(lines)


def age(path: Path, ns: int = HOUR_NS) -> None:
    mtime = path.stat().st_mtime_ns - ns
    os.utime(path, ns=(mtime, mtime))


def state_behind_a_link(project: GameProject, elsewhere: Path) -> Path:
    """Move the project's state folder to `elsewhere` and leave a link to it in its place
    (the test is skipped where the OS lets no one make links)."""
    state = project.root / SNAPSHOT.parent
    state.rename(elsewhere)
    try:
        state.symlink_to(elsewhere, target_is_directory=True)
    except OSError:
        pytest.skip("this OS does not let us create symlinks")
    return elsewhere
