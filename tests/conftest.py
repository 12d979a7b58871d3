"""Shared fixtures. Every test runs with its own cache and never sees the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.project import CONFIG, GameProject


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every cache location at a temp folder, so no test can touch the real one."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg")))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no test may reach a model hub
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf")))
    return cache


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight AudioGen checkpoint in audiocraft's release format (a second to write)."""
    from support import random_checkpoint

    return random_checkpoint.write(tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> GameProject:
    root = tmp_path / "game"
    root.mkdir()
    (root / "sfx-pipeline.toml").write_text(CONFIG, encoding="utf-8")
    return GameProject(root, capsys)
