"""A game project on disk, driven through the real command line: what the end-to-end tests
share (the `project` fixture in conftest.py makes one per test)."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from sfx_pipeline.cli import main

CONFIG = """\
engine = "generic"
import_dir = "audio"
descriptor_dirs = ["sfx"]

[generator]
backend = "procedural"
"""



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

    def build(self, *args: str) -> dict:
        """`build --json`: the document, checked to agree with the exit code."""
        run = self.run("build", "--json", *args)
        doc = json.loads(run.out)
        assert doc["exit_code"] == run.code
        return doc

    def lock(self) -> dict:
        return json.loads((self.root / "sfx-pipeline.lock").read_text())


def use_audiogen(project: GameProject, model: Path | str, extra: str = "", backend: str = "audiogen") -> None:
    """Point the project at an AudioGen checkpoint, on the CPU."""
    _generator(project, backend, model, f'device = "cpu"\n{extra}')


def use_remote(project: GameProject, model: Path, url: str, extra: str = "", backend: str = "remote") -> None:
    """Point the project at an `sfx-pipeline serve` of `model` at `url` (token from the environment)."""
    _generator(project, backend, model, f'url = "{url}"\n{extra}')


def _generator(project: GameProject, backend: str, model: Path | str, lines: str) -> None:
    """A config with outputs in audio/ and this [generator]; `lines` may be indented (TOML allows it)."""
    shown = Path(model).as_posix() if isinstance(model, Path) else model
    project.write("sfx-pipeline.toml", f'import_dir = "audio"\n[generator]\nbackend = "{backend}"\n'
                                       f'model = "{shown}"\n{lines}\n')
