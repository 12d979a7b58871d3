"""The AudioGen backend, for real: small random-weight checkpoints in audiocraft's release
format, loaded through `AudioGen.get_pretrained(folder)` exactly as a user's model is."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from sfx_pipeline.audio.wav import decode
from support import random_checkpoint
from support.project import GameProject, use_audiogen


def test_builds_real_wavs_in_batches_and_reuses_the_cache(project: GameProject, tiny_model: Path) -> None:
    use_audiogen(project, tiny_model, 'max_batch_size = 2\ndecoder = "audiocraft"')  # stock batches
    for name in ("a", "b", "c"):
        project.sound(name, f"dog barking {name}", duration=1.0)
    project.sound("long", "rain", duration=1.5)
    project.sound("hot", "wind", '[generation]\ntemperature = 0.7\n', duration=1.0)
    doc = project.build()
    assert doc["counts"]["generated"] == 5 and doc["counts"]["failed"] == 0
    assert not any(a["placeholder"] for a in doc["assets"])
    assert "AudioGen: 5 sounds in 4 batches (sizes 2, 1, 1, 1)" in doc["messages"]
    for name, seconds in (("a", 1.0), ("long", 1.5), ("hot", 1.0)):
        wav = decode(project.wav(f"audio/{name}.wav").read_bytes())
        assert (wav.rate, wav.bit_depth, wav.frames) == (48000, 16, int(seconds * 48000))
        assert 0.5 < abs(wav.samples()).max() <= 0.9  # real audio, normalised to -1 dBFS
    lock = project.lock()["assets"]
    entry = lock["audio/long.wav"]
    assert entry["backend"] == "audiogen" and not entry["placeholder"]
    assert entry["model"].startswith("local:") and entry["generation"]["frames"] == 75
    sizes = sorted(lock[f"audio/{n}.wav"]["batch"]["size"] for n in ("a", "b", "c"))
    assert sizes == [1, 2, 2]  # three equal sounds, at most two a batch
    assert lock["audio/hot.wav"]["batch"]["size"] == 1  # its own temperature, its own batch
    again = project.build()
    assert again["counts"]["generated"] == 0 and again["counts"]["fresh"] == 5
    project.sound("a", "dog barking a", "[output]\nfade_out = 0.5\n", duration=1.0)
    faded = project.build()
    assert faded["counts"]["generated"] == 0 and faded["counts"]["reused"] == 1  # re-rendered from cache


def test_the_same_build_gives_the_same_audio(project: GameProject, tiny_model: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    use_audiogen(project, tiny_model)
    project.sound("a", "dog", duration=1.0)
    project.sound("b", "cat", duration=1.0)
    project.build()
    first = {p.name: p.read_bytes() for p in (project.root / "audio").iterdir()}
    shutil.rmtree(project.root / "audio")
    (project.root / "sfx-pipeline.lock").unlink()
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(tmp_path / "fresh-cache"))
    assert project.build()["counts"]["generated"] == 2
    assert {p.name: p.read_bytes() for p in (project.root / "audio").iterdir()} == first


def test_out_of_memory_halves_the_batch_until_everything_fits(project: GameProject, tiny_model: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Faked: CPU tensors cannot run out of CUDA memory. audiocraft's own generate raises
    # the real torch.cuda.OutOfMemoryError whenever more than two clips are asked at once.
    from audiocraft.models import AudioGen

    real = AudioGen.generate

    def small_gpu(self, descriptions, *args, **kwargs):
        if len(descriptions) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(self, descriptions, *args, **kwargs)

    monkeypatch.setattr(AudioGen, "generate", small_gpu)
    use_audiogen(project, tiny_model, 'max_batch_size = 8\ndecoder = "audiocraft"')
    for i in range(7):
        project.sound(f"s{i}", f"sound {i}", duration=0.5)
    doc = project.build()
    assert doc["counts"]["generated"] == 7 and doc["counts"]["failed"] == 0
    assert "out of GPU memory with 7 sounds at a time; retrying with 4" in doc["messages"]
    assert "out of GPU memory with 4 sounds at a time; retrying with 2" in doc["messages"]
    assert max(e["batch"]["size"] for e in project.lock()["assets"].values()) == 2


def test_an_asset_that_fails_alone_is_reported_and_the_rest_go_on(project: GameProject, tiny_model: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Faked as above: only the 2 s clip "runs out of memory", even alone.
    from audiocraft.models import AudioGen

    real = AudioGen.generate

    def long_clips_fail(self, descriptions, *args, **kwargs):
        if self.duration > 1.5:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory.")
        return real(self, descriptions, *args, **kwargs)

    monkeypatch.setattr(AudioGen, "generate", long_clips_fail)
    use_audiogen(project, tiny_model, 'decoder = "audiocraft"')
    project.sound("short", "click", duration=0.5)
    project.sound("long", "rain", duration=2.0)
    doc = project.build()
    results = {a["output"]: a for a in doc["assets"]}
    assert results["audio/short.wav"]["outcome"] == "generated"
    assert results["audio/long.wav"]["outcome"] == "failed"
    assert "out of GPU memory even alone (2.0 s clip)" in results["audio/long.wav"]["message"]
    assert doc["exit_code"] == 1 and not project.wav("audio/long.wav").exists()


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
def test_killing_a_build_after_its_first_batch_keeps_that_batch(project: GameProject, tiny_model: Path) -> None:
    use_audiogen(project, tiny_model, "max_batch_size = 2")
    for i in range(8):
        project.sound(f"s{i}", f"sound {i}", duration=3.0)
    proc = subprocess.Popen([sys.executable, "-m", "sfx_pipeline", "build", "--project", str(project.root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    audio = project.root / "audio"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if audio.is_dir() and len(list(audio.glob("*.wav"))) >= 2:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kept = sorted(p.name for p in audio.glob("*.wav"))
    assert 2 <= len(kept) < 8
    for name in kept:
        assert decode((audio / name).read_bytes()).frames == 3 * 48000
    doc = project.build()
    generated = {a["output"] for a in doc["assets"] if a["outcome"] == "generated"}
    assert not generated & {f"audio/{n}" for n in kept}
    assert len(list(audio.glob("*.wav"))) == 8


def test_auto_uses_audiogen_where_it_loads_and_replaces_placeholders(project: GameProject, tiny_model: Path,
                                                                     tmp_path: Path) -> None:
    missing = tmp_path / "not-downloaded"
    use_audiogen(project, missing, backend="auto")
    project.sound("a", "dog barking", duration=1.0)
    doc = project.build()
    assert doc["assets"][0]["placeholder"] and doc["assets"][0]["backend"] == "procedural"
    assert any("using procedural placeholders" in m and "lacks state_dict.bin" in m for m in doc["messages"])
    shutil.copytree(tiny_model, missing)  # the weights arrive
    status = project.run("status")
    assert status.code == 2 and "backend changed (procedural → audiogen)" in status.out
    doc = project.build()
    assert doc["assets"][0]["outcome"] == "generated" and not doc["assets"][0]["placeholder"]
    assert any(m.startswith("backend auto: using audiogen") for m in doc["messages"])


def test_new_weights_regenerate_and_a_touched_file_does_not(project: GameProject, tiny_model: Path,
                                                            tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    use_audiogen(project, model)
    project.sound("a", "dog", duration=0.5)
    project.build()
    os.utime(model / "state_dict.bin")  # same bytes, new mtime: fingerprinted again, same result
    assert project.run("status").code == 0
    random_checkpoint.write(model, seed=1)  # different weights
    status = project.run("status")
    assert status.code == 2 and "model changed" in status.out


def test_a_hub_model_loads_from_the_local_cache_offline(project: GameProject, tiny_model: Path,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The hub's cache layout, filled by hand: what `huggingface-cli download` leaves behind.
    cache = tmp_path / "hub"
    snapshot = cache / "models--acme--tiny-audiogen" / "snapshots" / ("a" * 40)
    shutil.copytree(tiny_model, snapshot)
    (cache / "models--acme--tiny-audiogen" / "refs").mkdir()
    (cache / "models--acme--tiny-audiogen" / "refs" / "main").write_text("a" * 40)
    monkeypatch.setenv("AUDIOCRAFT_CACHE_DIR", str(cache))
    use_audiogen(project, "acme/tiny-audiogen")
    project.sound("a", "dog", duration=0.5)
    doc = project.build()
    assert doc["counts"]["generated"] == 1
    assert project.lock()["assets"]["audio/a.wav"]["model"] == "acme/tiny-audiogen@" + "a" * 40


def test_a_hub_model_missing_offline_says_how_to_get_it(project: GameProject) -> None:
    use_audiogen(project, "acme/not-downloaded")
    project.sound("a", "dog")
    project.sound("b", "coin", '[generation]\nbackend = "procedural"\n')  # its neighbour still builds
    run = project.run("build")
    assert run.code == 1
    assert ("error      sfx/a.sfx.toml: generation: audiogen backend: weights for acme/not-downloaded are not "
            "in the local cache and HF_HUB_OFFLINE is set") in run.out
    assert "fix: run `huggingface-cli download acme/not-downloaded` where the hub is reachable" in run.out
    assert "generated  audio/b.wav [placeholder]" in run.out


def test_a_folder_that_is_not_a_checkpoint_is_explained(project: GameProject, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    use_audiogen(project, folder)
    project.sound("a", "dog")
    run = project.run("status")
    assert run.code == 1 and "sfx/a.sfx.toml: generation: audiogen backend: model folder" in run.out
    assert "lacks state_dict.bin" in run.out and "release format" in run.out


def test_a_checkpoint_with_code_in_it_is_refused(project: GameProject, tiny_model: Path, tmp_path: Path) -> None:
    from fractions import Fraction

    evil = tmp_path / "evil"
    shutil.copytree(tiny_model, evil)
    package = torch.load(evil / "state_dict.bin", weights_only=True)
    package["exported"] = Fraction(1, 3)  # any pickled object outside torch's allow-list
    torch.save(package, evil / "state_dict.bin")
    use_audiogen(project, evil)
    project.sound("a", "dog", duration=0.5)
    run = project.run("build")
    assert run.code == 1 and "refused by torch's safe loader" in run.err


def test_doctor_reports_each_problem_with_its_fix(project: GameProject, tiny_model: Path) -> None:
    use_audiogen(project, "acme/not-downloaded")
    run = project.run("doctor")
    assert run.code == 1  # offline and not cached: AudioGen cannot run
    assert f"torch {torch.__version__}" in run.out and "audiocraft 1.3.0 imports" in run.out
    assert "model hub: offline (HF_HUB_OFFLINE is set)" in run.out
    assert "fail  model acme/not-downloaded is not in the local cache" in run.out
    assert "fix: huggingface-cli download acme/not-downloaded" in run.out
    assert "backend auto would use procedural placeholders" in run.out

    use_audiogen(project, tiny_model)
    run = project.run("doctor")
    assert run.code == 0 and "(revision local)" in run.out and "backend auto would use AudioGen" in run.out


def test_a_laptop_without_audiogen_never_downgrades_real_sounds(project: GameProject, tiny_model: Path,
                                                                tmp_path: Path) -> None:
    # The build machine and the laptop share the project; only the laptop lacks the weights.
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    use_audiogen(project, model, backend="auto")
    project.sound("door", "door creak", duration=0.5)
    project.sound("wind", "wind", duration=0.5)
    assert project.build()["counts"]["generated"] == 2
    real = {p.name: p.read_bytes() for p in (project.root / "audio").iterdir()}

    model.rename(tmp_path / "elsewhere")  # now on the laptop
    status = project.run("status")
    assert status.code == 0 and "2 fresh" in status.out  # not "backend changed"
    assert project.build()["counts"]["installed"] == 0

    project.sound("door", "door slam", duration=0.5)  # a designer edits a prompt on the laptop
    project.sound("coin", "coin", duration=0.5)  # and adds a sound
    status = project.run("status")
    assert status.code == 2  # the new sound is stale; the edited one is pending, not failing
    assert "pending   audio/door.wav  (prompt changed; needs audiogen (" in status.out
    assert "the audiogen sound is kept until a build runs where it loads" in status.out
    doc = project.build()
    results = {a["output"]: a for a in doc["assets"]}
    assert results["audio/door.wav"]["outcome"] == "kept"
    assert results["audio/coin.wav"]["outcome"] == "generated" and results["audio/coin.wav"]["placeholder"]
    assert {p.name: p.read_bytes() for p in (project.root / "audio").iterdir() if p.name != "coin.wav"} == real
    assert project.run("status").code == 0  # only the pending one is left: nothing to do here

    (tmp_path / "elsewhere").rename(model)  # back on the build machine
    doc = project.build()
    results = {a["output"]: a["outcome"] for a in doc["assets"]}
    assert results == {"audio/coin.wav": "generated", "audio/door.wav": "generated", "audio/wind.wav": "fresh"}
    assert not any(e["placeholder"] for e in project.lock()["assets"].values())
