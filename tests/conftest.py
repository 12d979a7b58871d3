"""Shared fixtures. Every test runs with its own cache and never sees the user's."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from sfx_pipeline.cli import main


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every cache location at a temp folder, so no test can touch the real one."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no test may reach a model hub
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf")))
    return cache


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class GameProject:
    """A real project folder on disk, driven through the real CLI."""

    root: Path
    capsys: pytest.CaptureFixture[str]

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def sound(self, name: str, prompt: str, extra: str = "", folder: str = "sfx", duration: float = 0.5) -> Path:
        return self.write(f"{folder}/{name}.sfx.toml", f'prompt = "{prompt}"\nduration = {duration}\n{textwrap.dedent(extra)}')

    def run(self, *args: str) -> Run:
        self.capsys.readouterr()
        code = main([*args[:1], "--project", str(self.root), *args[1:]])
        captured = self.capsys.readouterr()
        return Run(code, captured.out, captured.err)

    def wav(self, relative: str) -> Path:
        return self.root / relative


CONFIG = """\
engine = "generic"
import_dir = "audio"
descriptor_dirs = ["sfx"]

[generator]
backend = "procedural"
"""


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> GameProject:
    root = tmp_path / "game"
    root.mkdir()
    (root / "sfx-pipeline.toml").write_text(CONFIG, encoding="utf-8")
    return GameProject(root, capsys)
