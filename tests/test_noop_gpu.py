"""A no-op where `auto` asked torch for a GPU: replayed without importing torch, and planned in
full again when anything that answer rests on changes (`generators/audiogen/gpu.py`).

This machine has a CUDA build of torch and no NVIDIA driver, so torch's real answer here is
"no GPU" and the Linux driver files are absent. Where a test needs a GPU or a driver, it
says so and fakes only that: torch's answer, or the driver's files laid out under a
stand-in root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from ast import literal_eval
from pathlib import Path

import pytest

from sfx_pipeline.generators.audiogen import gpu
from support.fastpath import SNAPSHOT, age, planned, replayed
from support.project import GameProject


def replayed_alone(project: GameProject, env: dict[str, str] | None = None) -> tuple[int | None, str, list[str]]:
    """`status` through the fast path in a process of its own: its exit (None: it declined),
    what it printed, and which of torch, numpy and the planner it imported."""
    code = ("import sys; from sfx_pipeline.cli.noop import try_main; "
            f"code = try_main(['status', '--project', {str(project.root)!r}]); "
            "print(repr(code)); print(sorted(m for m in ('torch', 'numpy', 'sfx_pipeline.plan') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, **(env or {})}).stdout.splitlines()
    return literal_eval(out[-2]), "\n".join(out[:-2]), literal_eval(out[-1])


@pytest.fixture
def on_auto(project: GameProject, tiny_model: Path, tmp_path: Path) -> GameProject:
    """backend and device auto, with AudioGen's packages and a model's weights on disk: the
    backend choice asks torch whether there is a GPU. The weights are old files, as after a
    download some time ago (ones written just now are never vouched for by their stat)."""
    model = Path(shutil.copytree(tiny_model, tmp_path / "model"))
    for path in [*model.iterdir(), model]:
        age(path)
    project.write("sfx-pipeline.toml", f'import_dir = "audio"\n[generator]\nbackend = "auto"\n'
                                       f'model = "{model.as_posix()}"\n')
    project.sound("rain", "heavy rain", "seed = 1\n")
    age(project.root / "sfx-pipeline.toml")
    age(project.root / "sfx" / "rain.sfx.toml")
    return project


@pytest.mark.parametrize("gpu_here", [False, True], ids=["no GPU (real)", "a GPU (faked)"])
def test_a_plan_that_asked_for_a_gpu_is_replayed_without_torch(on_auto: GameProject, gpu_here: bool,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    if gpu_here:  # there is no GPU here: only torch's answer is faked
        import torch

        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    full = on_auto.run("status")
    assert ("[placeholder]" in full.out) is not gpu_here, "with a GPU, auto picks AudioGen rather than placeholders"
    probe = json.loads((on_auto.root / SNAPSHOT).read_text())["probe"]
    assert probe["cuda"] is gpu_here
    code, out, imported = replayed_alone(on_auto)
    assert (code, out) == (full.code, full.out.rstrip("\n"))
    assert imported == [], "a replay stats what the answer rests on instead of asking torch"


@pytest.mark.parametrize("gpu_here", [False, True], ids=["no GPU (real)", "a GPU (faked)"])
def test_an_edit_is_planned_alone_with_the_recorded_gpu_answer(on_auto: GameProject, gpu_here: bool,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """After an edit, `status` plans only the edited descriptor (cli/delta.py) with the GPU
    answer the snapshot records, whose facts the walk found unchanged: torch is not imported,
    and it prints what a whole plan prints."""
    if gpu_here:  # there is no GPU here: only torch's answer is faked, in this process
        import torch

        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    on_auto.run("status")
    on_auto.sound("rain", "heavy rain", "seed = 2\n")
    code = ("import sys; from sfx_pipeline.cli import fast_path; "
            f"code = fast_path(['status', '--project', {str(on_auto.root)!r}]); "
            "print(repr(code)); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert literal_eval(out[-1]) is False, "the recorded answer is used: torch is never asked"
    assert json.loads((on_auto.root / SNAPSHOT).read_text())["made"] == "delta"
    full = planned(on_auto, "status")
    assert (literal_eval(out[-2]), "\n".join(out[:-2])) == (full.code, full.out.rstrip("\n"))
    assert ("[placeholder]" in full.out) is not gpu_here


@pytest.mark.parametrize("variable", ["CUDA_VISIBLE_DEVICES", "PYTORCH_NVML_BASED_CUDA_CHECK", "LD_LIBRARY_PATH"])
def test_the_variables_the_gpu_answer_reads_are_watched(on_auto: GameProject, variable: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(variable, raising=False)
    on_auto.run("status")
    assert replayed(on_auto, "status") is not None
    monkeypatch.setenv(variable, "1")
    assert replayed(on_auto, "status") is None
    on_auto.run("status")
    assert replayed(on_auto, "status") is not None, "planned and recorded again"


def test_a_library_folder_on_the_loader_path_is_watched(on_auto: GameProject, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A driver's libcuda.so.1 put in a folder of LD_LIBRARY_PATH (the CUDA forward-compatibility
    package does this) is found by the loader without ldconfig."""
    folder = tmp_path / "compat"
    folder.mkdir()
    age(folder)
    monkeypatch.setenv("LD_LIBRARY_PATH", str(folder))
    on_auto.run("status")
    assert replayed(on_auto, "status") is not None
    (folder / "libcuda.so.1").write_bytes(b"")
    assert replayed(on_auto, "status") is None


def test_torch_found_elsewhere_is_planned_in_full(on_auto: GameProject, tmp_path: Path) -> None:
    """Another torch earlier on the path (only found, never imported, by the replay)."""
    on_auto.run("status")
    assert replayed_alone(on_auto)[0] == 2  # the one sound is new: stale
    (tmp_path / "shadow" / "torch").mkdir(parents=True)
    (tmp_path / "shadow" / "torch" / "__init__.py").write_text("")
    path = os.pathsep.join([str(tmp_path / "shadow"), os.environ.get("PYTHONPATH", "")])
    assert replayed_alone(on_auto, {"PYTHONPATH": path})[0] is None


DRIVER_CHANGES = {
    "a GPU's device node appears": lambda root: (root / "dev" / "nvidia0").write_bytes(b""),
    "a driver module is loaded": lambda root: _write(root / "proc" / "driver" / "nvidia" / "version", "NVRM 550"),
    "a GPU is added": lambda root: (root / "proc" / "driver" / "nvidia" / "gpus" / "0000:02:00.0").mkdir(),
    "ldconfig ran": lambda root: (root / "etc" / "ld.so.cache").write_bytes(b"new cache"),
}


def _write(path: Path, text: str) -> None:
    path.write_text(text)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux driver's files")
@pytest.mark.parametrize("change", list(DRIVER_CHANGES))
def test_the_driver_files_the_gpu_answer_rests_on_are_watched(on_auto: GameProject, tmp_path: Path, change: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """No driver can be installed here: its files are laid out under a stand-in root, which
    the probe looks at instead of /. (torch's answer itself is the real one.)"""
    root = tmp_path / "system"
    for folder in ("dev", "etc", "proc/driver/nvidia/gpus/0000:01:00.0"):
        (root / folder).mkdir(parents=True)
    (root / "dev" / "nvidiactl").write_bytes(b"")
    _write(root / "proc" / "driver" / "nvidia" / "version", "NVRM 535")
    (root / "etc" / "ld.so.cache").write_bytes(b"cache")
    age(root / "etc" / "ld.so.cache")
    monkeypatch.setattr(gpu, "SYSTEM_ROOT", str(root))
    on_auto.run("status")
    watched = json.loads((on_auto.root / SNAPSHOT).read_text())["probe"]["watch"]
    assert [str(root / "dev"), "nvidia"] in watched["listed"]
    assert replayed(on_auto, "status") is not None
    DRIVER_CHANGES[change](root)
    assert replayed(on_auto, "status") is None


def test_no_snapshot_where_no_stat_can_vouch_for_the_answer(on_auto: GameProject, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """WSL: the GPU belongs to the Windows host (its /dev/dxg is laid out under a stand-in root)."""
    (tmp_path / "system" / "dev").mkdir(parents=True)
    (tmp_path / "system" / "dev" / "dxg").write_bytes(b"")
    monkeypatch.setattr(gpu, "SYSTEM_ROOT", str(tmp_path / "system"))
    assert on_auto.run("status").code == 2
    assert not (on_auto.root / SNAPSHOT).exists()
    assert replayed(on_auto, "status") is None


def test_device_cpu_asks_no_gpu(on_auto: GameProject) -> None:
    on_auto.write("sfx-pipeline.toml", (on_auto.root / "sfx-pipeline.toml").read_text() + 'device = "cpu"\n')
    age(on_auto.root / "sfx-pipeline.toml")
    on_auto.run("status")
    assert json.loads((on_auto.root / SNAPSHOT).read_text())["probe"] is None
    assert replayed(on_auto, "status") is not None
