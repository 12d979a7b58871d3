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


@pytest.fixture(autouse=True)
def no_adopted_gpu_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A GPU answer a patched plan adopted from a snapshot (gpu.adopt) lasts the process: in
    tests that share one, it must not outlive its test."""
    from sfx_pipeline.generators.audiogen import gpu

    monkeypatch.setattr(gpu, "_adopted", None)


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


# End-to-end tests drive a project on disk through the real CLI, or load an AudioGen model;
# the rest test the pure parts directly. `pytest -m "not e2e"` runs only the fast ones.
_E2E_FIXTURES = {"project", "tiny_model"}
# Modules whose every test starts a server, a process, a file watcher or a torch model.
_E2E_MODULES = {"test_audiogen", "test_audiogen_gpu_layout", "test_audiogen_memory", "test_cluster",
                "test_fast_decoder", "test_fast_decoder_backend", "test_gpu_check", "test_interrupt",
                "test_serve", "test_serve_engine", "test_shared_cache", "test_watch"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if getattr(item, "module", None) else ""
        if module in _E2E_MODULES or _E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
