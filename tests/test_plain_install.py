"""The README's first command as a plain install runs it: no `audiogen` extra, so no torch,
audiocraft or huggingface_hub, on the built-in default backend.

The test suite's own environment has every extra installed, which once hid a crash that
only a plain install met. Here a child Python starts without site-packages (`-S`) and sees
only this checkout and the package's core dependencies, linked from the current
environment: the same modules a plain `pip install` brings.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def core_site(folder: Path) -> Path:
    """A folder holding links to the core dependencies' top-level modules, and nothing else."""
    folder.mkdir()
    requirements = [r for r in metadata.requires("sfx-pipeline") or [] if "extra ==" not in r]
    for requirement in requirements:
        if "python_version <" in requirement:  # tomli: only before 3.11
            continue
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
        files = metadata.distribution(name).files or []
        for top in {f.parts[0] for f in files if not f.parts[0].endswith((".dist-info", ".data"))} - {"..", "bin"}:
            source = Path(metadata.distribution(name).locate_file(top))
            if source.exists() and not (folder / top).exists():
                (folder / top).symlink_to(source)
    return folder


@pytest.mark.skipif(os.name == "nt", reason="links need a privilege on Windows")
def test_a_plain_install_lays_out_and_builds_the_example_project(tmp_path: Path) -> None:
    site = core_site(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-S", "-m", "sfx_pipeline", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=300)

    missing = subprocess.run([sys.executable, "-S", "-c", "import torch"], capture_output=True, env=env)
    assert missing.returncode != 0  # the child really lacks the audiogen extra
    assert cli("init", "--engine", "godot", "demo").returncode == 0
    first = cli("build", "--project", "demo")
    assert first.returncode == 0, first.stderr[-2000:]
    assert "crashed" not in first.stderr
    assert len(list((tmp_path / "demo" / "audio" / "sfx").rglob("*.wav"))) == 21
    again = cli("build", "--project", "demo")
    assert again.returncode == 0 and "21 fresh" in again.stdout + again.stderr
    server = cli("serve", "--project", "demo")  # its packages come with the serve extra: say so, no traceback
    assert server.returncode == 1 and "crashed" not in server.stderr
    assert "sfx-pipeline serve needs uvicorn, which its serve extra installs" in server.stderr
