"""What torch's CUDA answer rests on, per system and torch build (`gpu.dependencies`).

Builds and systems that cannot be installed here (ROCm, Windows, macOS) are described by a
stand-in for torch's version attributes and by `platform`; files are real, in tmp_path.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from sfx_pipeline.generators.audiogen import gpu
from sfx_pipeline.observed import observe


def a_torch(tmp_path: Path, cuda: str | None = "12.8", hip: str | None = None) -> SimpleNamespace:
    """An installed torch as `dependencies` sees it: where its package is, and its build."""
    package = tmp_path / "site-packages" / "torch"
    (package / "lib").mkdir(parents=True, exist_ok=True)
    (package / "version.py").write_text(f"cuda = {cuda!r}\nhip = {hip!r}\n")
    return SimpleNamespace(__file__=str(package / "__init__.py"), version=SimpleNamespace(cuda=cuda, hip=hip))


def test_a_torch_without_cuda_rests_on_itself_only(tmp_path: Path) -> None:
    for platform in ("linux", "darwin", "win32"):
        watch, _ = gpu.dependencies(a_torch(tmp_path, cuda=None), platform)
        assert watch is not None and watch["listed"] == [] and watch["read"] == []
        assert str(tmp_path / "site-packages") in watch["stat"], "another install changes the packages' folder"


def test_a_rocm_build_and_cuda_on_macos_are_not_vouched_for(tmp_path: Path) -> None:
    assert gpu.dependencies(a_torch(tmp_path, cuda=None, hip="6.2"), "linux")[0] is None
    watch, why = gpu.dependencies(a_torch(tmp_path), "darwin")
    assert watch is None and "darwin" in why


def test_linux_watches_the_loader_the_devices_and_the_driver_report(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "system"
    (root / "dev").mkdir(parents=True)
    monkeypatch.setattr(gpu, "SYSTEM_ROOT", str(root))
    monkeypatch.setenv("LD_LIBRARY_PATH", f"{tmp_path / 'compat'}:")
    watch, _ = gpu.dependencies(a_torch(tmp_path), "linux")
    assert watch is not None
    assert {"CUDA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"} <= set(watch["env"])
    assert str(root / "etc" / "ld.so.cache") in watch["stat"] and str(tmp_path / "compat") in watch["stat"]
    before = observe(watch)
    (root / "dev" / "nvidia-caps").mkdir()
    (root / "dev" / "nvidia-caps" / "nvidia-cap1").write_bytes(b"")  # a MIG instance's capability
    (root / "dev" / "tty0").write_bytes(b"")  # not the driver's: not looked at
    after = observe(watch)
    assert after != before
    assert [str(root / "dev"), "nvidia"] in watch["listed"]
    assert after["listed"][watch["listed"].index([str(root / "dev"), "nvidia"])] == ["nvidia-caps",
                                                                                     "nvidia-caps/nvidia-cap1"]


def test_windows_vouches_only_for_no_driver(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    windows = tmp_path / "Windows"
    (windows / "System32").mkdir(parents=True)
    monkeypatch.setenv("SystemRoot", str(windows))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    watch, _ = gpu.dependencies(a_torch(tmp_path), "win32")
    assert watch is not None and str(windows / "System32" / "nvcuda.dll") in watch["stat"]
    assert str(tmp_path / "bin" / "nvcuda.dll") in watch["stat"], "the DLL search reaches PATH too"
    (windows / "System32" / "nvcuda.dll").write_bytes(b"")
    watch, why = gpu.dependencies(a_torch(tmp_path), "win32")
    assert watch is None and "Windows" in why
