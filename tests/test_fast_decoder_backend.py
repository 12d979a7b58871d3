"""The fast decoder inside real builds: default decoder, per-asset seeds, batch independence
of the installed WAVs, out-of-memory handling, and the windowed fallback for long clips."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
import xxhash

from sfx_pipeline.audio.wav import decode
from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder
from support import random_checkpoint
from support.project import GameProject, use_audiogen


def seed_of(entry: dict) -> int:
    """What the backend derives for an asset: its own seed with its generation key, nothing else."""
    return xxhash.xxh3_64_intdigest(f"{entry['seed']}:{entry['generation_key']}".encode()) & (2**63 - 1)


def test_fast_is_the_default_and_each_asset_carries_its_own_seed(project: GameProject, tiny_model: Path) -> None:
    use_audiogen(project, tiny_model)
    project.sound("door", "door creak", duration=1.0)
    project.sound("hot", "wind", "[generation]\ntemperature = 0.7\ntop_p = 0.9\n", duration=0.5)
    project.sound("long", "rain", duration=1.5)
    doc = project.build()
    assert doc["counts"]["generated"] == 3 and doc["counts"]["failed"] == 0
    assert "AudioGen (fast decoder): 3 sounds, up to 3 at a time" in doc["messages"]
    lock = project.lock()
    assert lock["reproducibility"]["audiogen"].startswith("batch-independent")
    for name, seconds in (("door", 1.0), ("hot", 0.5), ("long", 1.5)):
        entry = lock["assets"][f"audio/{name}.wav"]
        assert entry["generation"]["algorithm"] == "fast-1"
        assert entry["batch"] == {"decoder": "fast", "seed": seed_of(entry)}
        wav = decode(project.wav(f"audio/{name}.wav").read_bytes())
        assert wav.frames == int(seconds * 48000) and 0.5 < abs(wav.samples()).max() <= 0.9


def test_switching_the_decoder_regenerates(project: GameProject, tiny_model: Path) -> None:
    use_audiogen(project, tiny_model)
    project.sound("door", "door creak", duration=0.5)
    project.build()
    use_audiogen(project, tiny_model, 'decoder = "audiocraft"')
    status = project.run("status")
    assert status.code == 2 and "generator version changed" in status.out
    doc = project.build()
    assert doc["counts"]["generated"] == 1
    lock = project.lock()
    assert lock["assets"]["audio/door.wav"]["generation"]["algorithm"] == "audiocraft-1"
    assert lock["reproducibility"]["audiogen"].startswith("batch-dependent")


def test_the_lock_keeps_what_the_decoder_that_ran_promises(project: GameProject, tmp_path: Path) -> None:
    # The fast decoder cannot run a post-norm model, which AudioGen learns only once it is
    # loaded, and falls back to audiocraft's batched decoder: the lock's promise is that one's,
    # also after a build that takes the audio from the cache and loads no model at all.
    model = random_checkpoint.write(tmp_path / "post-norm", transformer={"norm_first": False})
    use_audiogen(project, model)
    project.sound("door", "door creak", duration=0.5)
    doc = project.build()
    assert doc["counts"]["generated"] == 1
    assert any("fast decoder cannot run" in m and "post-norm layers" in m for m in doc["messages"])
    assert project.lock()["reproducibility"]["audiogen"].startswith("batch-dependent")

    project.sound("door", "door creak", "[output]\nfade_out = 0.1\n", duration=0.5)  # a render-only change
    doc = project.build()
    assert (doc["counts"]["generated"], doc["counts"]["reused"]) == (0, 1)
    assert project.lock()["reproducibility"]["audiogen"].startswith("batch-dependent")


def test_a_sound_is_the_same_alone_and_among_others(project: GameProject, tiny_model: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    use_audiogen(project, tiny_model, "max_batch_size = 4")
    project.sound("door", "door creak", "seed = 42\n[generation]\ntop_k = 50\n", duration=1.0)
    project.build()
    alone = project.wav("audio/door.wav").read_bytes()

    shutil.rmtree(project.root / "audio")
    (project.root / "sfx-pipeline.lock").unlink()
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(tmp_path / "fresh-cache"))
    for i in range(9):  # other stale sounds, other lengths and parameters, more than the slots
        project.sound(f"other{i}", f"sound {i}", f"[generation]\ncfg_coef = {1 + i % 4}.0\n", duration=0.5 + 0.1 * i)
    doc = project.build()
    assert doc["counts"]["generated"] == 10
    assert project.wav("audio/door.wav").read_bytes() == alone


def test_out_of_memory_halves_the_slots_and_keeps_what_finished(project: GameProject, tiny_model: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # Faked: CPU tensors cannot run out of CUDA memory. With more than two slots, one asset
    # finishes, then the real torch.cuda.OutOfMemoryError is raised.
    real = FastDecoder.generate
    runs: list[int] = []

    def small_gpu(self, requests, slots, progress=None, audio=True):
        runs.append(len(requests))
        if slots > 2:
            yield next(real(self, requests, slots, progress, audio))
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        yield from real(self, requests, slots, progress, audio)

    monkeypatch.setattr(FastDecoder, "generate", small_gpu)
    use_audiogen(project, tiny_model, "max_batch_size = 8")
    for i in range(7):
        project.sound(f"s{i}", f"sound {i}", duration=0.5)
    doc = project.build()
    assert doc["counts"]["generated"] == 7 and doc["counts"]["failed"] == 0
    assert "out of GPU memory with 7 sounds at a time; retrying with 4" in doc["messages"]
    assert "out of GPU memory with 4 sounds at a time; retrying with 2" in doc["messages"]
    assert runs == [7, 6, 5]  # each retry only asks for what had not finished


def test_an_asset_that_fails_alone_is_reported_and_the_rest_go_on(project: GameProject, tiny_model: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    real = FastDecoder.generate

    def long_clips_fail(self, requests, slots, progress=None, audio=True):
        if any(r.frames > 75 for r in requests):  # buffers sized for the 2 s clip do not fit
            raise torch.cuda.OutOfMemoryError("CUDA out of memory.")
        yield from real(self, requests, slots, progress, audio)

    monkeypatch.setattr(FastDecoder, "generate", long_clips_fail)
    use_audiogen(project, tiny_model)
    project.sound("short", "click", duration=0.5)
    project.sound("long", "rain", duration=2.0)
    doc = project.build()
    results = {a["output"]: a for a in doc["assets"]}
    assert results["audio/short.wav"]["outcome"] == "generated"
    assert results["audio/long.wav"]["outcome"] == "failed"
    assert "out of GPU memory even alone (2.0 s clip)" in results["audio/long.wav"]["message"]
    assert doc["exit_code"] == 1 and not project.wav("audio/long.wav").exists()


def test_clips_longer_than_the_window_use_audiocraft_alone_with_their_own_seeds(
        project: GameProject, tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sfx_pipeline.generators.audiogen import runtime

    # The real window is 10 s (minutes of CPU for a test); a 1 s window routes the same way.
    monkeypatch.setattr(runtime, "max_frames", lambda loaded: 50)
    use_audiogen(project, tiny_model)
    project.sound("click", "click", duration=0.5)
    project.sound("rain", "rain", duration=1.5)
    project.sound("wind", "wind", duration=1.5)
    doc = project.build()
    assert doc["counts"]["generated"] == 3
    assert "AudioGen (fast decoder): 1 sounds, up to 1 at a time" in doc["messages"]
    assert ("AudioGen: 2 sounds longer than 1 s use audiocraft's windowed decoder, one at a time with their own "
            "seeds") in doc["messages"]
    assets = project.lock()["assets"]
    assert assets["audio/click.wav"]["batch"]["decoder"] == "fast"
    for name in ("rain", "wind"):
        entry = assets[f"audio/{name}.wav"]
        assert entry["batch"] == {"decoder": "audiocraft", "seed": seed_of(entry)}
        assert decode(project.wav(f"audio/{name}.wav").read_bytes()).frames == int(1.5 * 48000)
