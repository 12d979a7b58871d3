"""AudioGen with the dtypes audiocraft's loader gives it on a GPU, run on the CPU.

On CUDA, audiocraft builds the LM's transformer in float16 and keeps its embeddings, output
norm, heads and text conditioner in float32, and generates under fp16 autocast. The fast
decoder once took one dtype for the whole LM and failed every sound on a GPU while every
float32 CPU test passed. `[generator] precision = "float16"` loads that same layout through
the product's loader on any device, so these tests build real sounds with it here, through
the CLI, with both decoders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from test_fast_decoder import PROMPTS, SMALL, audiocraft_streamed

from sfx_pipeline.audio.wav import decode
from sfx_pipeline.generators.audiogen import loading
from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder
from sfx_pipeline.generators.audiogen.fast.scheduler import Request
from sfx_pipeline.report import QuietReporter
from support import random_checkpoint
from support.project import GameProject, use_audiogen

# Teacher-forced guided logits of the fast decoder against audiocraft's streaming forward,
# both in the float16 layout. fp16 holds |logit| ~8 to 1/128 (one ulp, 0.0078); the two
# paths round in different orders (measured: 0.0156 apart at most, while audiocraft's
# float16 and float32 runs of the same weights differ by 0.0099). 0.04 is five ulps there;
# a real mistake (a missing mask, a position off by one, a wrong scale) moves logits by 0.1
# and more.
HALF_LOGIT_TOLERANCE = 0.04


def dtypes(lm: Any) -> dict[str, set[torch.dtype]]:
    """The dtypes of each top-level part of an LM's parameters."""
    parts: dict[str, set[torch.dtype]] = {}
    for name, parameter in lm.named_parameters():
        parts.setdefault(name.split(".")[0], set()).add(parameter.dtype)
    return parts


@pytest.fixture(scope="module")
def half_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """float16 weights on disk, as the released audiogen-medium has them."""
    return random_checkpoint.write(tmp_path_factory.mktemp("half") / "small", SMALL, half=True)


def test_float16_is_audiocrafts_gpu_layout_and_auto_is_its_cpu_layout(half_checkpoint: Path) -> None:
    from audiocraft.models import AudioGen

    half = loading.build(str(half_checkpoint), "cpu", "float16")
    assert dtypes(half.model.lm) == {"condition_provider": {torch.float32}, "emb": {torch.float32},
                                     "transformer": {torch.float16}, "out_norm": {torch.float32},
                                     "linears": {torch.float32}}
    assert half.model.autocast.autocast is not None  # generates under fp16 autocast, as on a GPU
    auto = loading.load(str(half_checkpoint), "cpu", QuietReporter())
    stock = AudioGen.get_pretrained(str(half_checkpoint), device="cpu")
    assert auto.precision == "float32"
    assert dtypes(auto.model.lm) == dtypes(stock.lm) == {part: {torch.float32} for part in dtypes(stock.lm)}
    for (name, ours), (_, theirs) in zip(auto.model.lm.state_dict().items(), stock.lm.state_dict().items()):
        assert torch.equal(ours, theirs), name


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "bucketed"])
def test_fast_decoder_runs_the_raw_gpu_layout_like_audiocraft(half_checkpoint: Path, exact: bool) -> None:
    """The LM exactly as audiocraft's loader makes it for CUDA (float16 transformer norms
    included), against audiocraft's own forward on the same weights under fp16 autocast."""
    raw = loading.build(str(half_checkpoint), "cpu", "float16").model
    reference_model = loading.load(str(half_checkpoint), "cpu", QuietReporter(), "float16").model
    lm, frames = raw.lm, 80
    codes = torch.randint(0, lm.card, (len(PROMPTS), lm.n_q, frames), generator=torch.Generator().manual_seed(1))
    requests = [Request(i, p, frames, seed=0, cfg_coef=3.0, greedy=True) for i, p in enumerate(PROMPTS)]
    fast = FastDecoder(raw, exact=exact).teacher_forced(requests, codes).float()
    with reference_model.autocast:
        reference = audiocraft_streamed(reference_model, PROMPTS, codes).float()
    assert reference.abs().max() > 1.0
    assert (fast - reference).abs().max() <= HALF_LOGIT_TOLERANCE


def test_exact_mode_keeps_a_sound_batch_independent_in_float16(half_checkpoint: Path) -> None:
    decoder = FastDecoder(loading.build(str(half_checkpoint), "cpu", "float16").model)
    assert decoder.exact and decoder.lm.half
    mixed = [Request(i, f"prompt {i}", 20 + 7 * i, seed=100 + i, temperature=1.0 + 0.1 * (i % 3),
                     top_k=(0, 40, 250)[i % 3], top_p=(0.0, 0.8)[i % 2], cfg_coef=1.0 + i % 4) for i in range(9)]
    alone = next(decoder.generate([mixed[4]], slots=1, audio=False))[1]
    among = {r.id: codes for r, codes in decoder.generate(mixed, slots=8, audio=False)}
    assert (alone == among[4]).all()


@pytest.mark.parametrize("decoder", ["fast", "audiocraft"])
def test_cli_builds_every_sound_with_the_gpu_layout(project: GameProject, half_checkpoint: Path,
                                                     decoder: str) -> None:
    use_audiogen(project, half_checkpoint, f'precision = "float16"\ndecoder = "{decoder}"')
    project.sound("door", "door creak", duration=1.0)
    project.sound("wind", "wind", "[generation]\ntemperature = 0.8\ntop_p = 0.9\n", duration=0.5)
    doc = project.build()
    assert doc["counts"]["generated"] == 2 and doc["counts"]["failed"] == 0, doc["messages"]
    assert any("(float16)" in m for m in doc["messages"])
    for name, seconds in (("door", 1.0), ("wind", 0.5)):
        wav = decode(project.wav(f"audio/{name}.wav").read_bytes())
        samples = wav.samples()
        assert wav.frames == int(seconds * 48000) and 0.5 < abs(samples).max() <= 0.9
        assert abs(samples).mean() > 1e-3  # sound, not silence or a stuck value


def test_a_users_build_command_generates_with_the_gpu_layout(project: GameProject, half_checkpoint: Path) -> None:
    """`python -m sfx_pipeline build`, a whole process, as a user or a pre-build hook runs it."""
    use_audiogen(project, half_checkpoint, 'precision = "float16"')
    project.sound("rain", "rain on a roof", duration=0.5)
    done = subprocess.run([sys.executable, "-m", "sfx_pipeline", "build", "--project", str(project.root), "--json"],
                          capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    doc = json.loads(done.stdout)
    assert done.returncode == 0, done.stderr
    assert doc["counts"]["generated"] == 1 and doc["counts"]["failed"] == 0
    assert decode(project.wav("audio/rain.wav").read_bytes()).frames == 24000


@pytest.mark.parametrize("decoder", ["fast", "audiocraft"])
def test_doctor_smoke_generates_one_sound_with_the_configured_decoder(project: GameProject, half_checkpoint: Path,
                                                                       decoder: str) -> None:
    use_audiogen(project, half_checkpoint, f'precision = "float16"\ndecoder = "{decoder}"')
    run = project.run("doctor", "--smoke")
    assert run.code == 0, run.out
    assert "ok    smoke test: 1 s sound generated in" in run.out
    assert f"decoder {decoder}; loaded AudioGen" in run.out and "on cpu (float16)" in run.out
    assert not list(project.root.rglob("*.wav")) and not (project.root / "sfx-pipeline.lock").exists()


def test_doctor_smoke_reports_a_model_that_cannot_load_with_its_fix(project: GameProject, half_checkpoint: Path,
                                                                   tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "compression_state_dict.bin").write_bytes((half_checkpoint / "compression_state_dict.bin").read_bytes())
    (broken / "state_dict.bin").write_bytes((half_checkpoint / "state_dict.bin").read_bytes()[:4096])  # a cut download
    use_audiogen(project, broken)
    run = project.run("doctor", "--smoke")
    assert run.code == 1
    assert "fail  smoke test: cannot load the model folder" in run.out
    assert "fix: it must hold state_dict.bin and compression_state_dict.bin" in run.out
