"""Finished sounds: loudness, true peak, trim and loops, measured on the WAVs written."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pyloudnorm
import pytest

from sfx_pipeline.audio import loudness
from sfx_pipeline.audio.render import render
from sfx_pipeline.audio.wav import decode
from sfx_pipeline.generators.procedural import synthesize
from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec
from support.project import GameProject

RATE = 48000


def spec(duration: float = 2.0, **output: object) -> SoundSpec:
    out = OutputParams(RATE, 24, None, None, 0.0, 0.0)
    return SoundSpec(name="s", descriptor="sfx/s.sfx.toml", entry="", prompt="p", duration=duration, seed=1,
                     backend="procedural", model="", output=dataclasses.replace(out, **output),
                     generation=GenerationParams(1.0, 250, 0.0, 3.0), output_path="audio/s.wav")


def rendered(audio: np.ndarray, s: SoundSpec, rate: int = RATE):
    return decode(render(audio.astype(np.float32), rate, s, 1, {"render": "k"}).data)


def tone(freq: float, amplitude: float, seconds: float, rate: int = RATE) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)


SIGNALS = {
    "noise": lambda rng: 0.05 * rng.standard_normal(2 * RATE),
    "tone": lambda rng: tone(440, 0.02, 2.0),
    "burst then silence": lambda rng: np.concatenate([0.3 * rng.standard_normal(RATE // 2), np.zeros(3 * RATE // 2)]),
    "rain": lambda rng: synthesize("heavy rain on a roof", 1, 2.0, RATE),
    "coin": lambda rng: synthesize("coin pickup", 2, 2.0, RATE),
    "wind": lambda rng: synthesize("wind howling", 3, 2.0, RATE),
}


def test_the_meter_reads_the_ebu_calibration_tone() -> None:
    # EBU Tech 3341: a 1 kHz sine at -20 dBFS peak reads -23.0 LUFS (±0.1 allowed)
    assert loudness.measure(tone(1000, 0.1, 5.0), RATE) == pytest.approx(-23.0, abs=0.05)


@pytest.mark.parametrize("rate", [44100, 48000])
@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_the_meter_agrees_with_pyloudnorm(name: str, rate: int) -> None:
    x = SIGNALS[name](np.random.default_rng(0))
    if rate != RATE:
        x = x[: int(len(x) * rate / RATE)]
    assert loudness.measure(x, rate) == pytest.approx(pyloudnorm.Meter(rate).integrated_loudness(x), abs=0.15)


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_loudness_lands_within_half_a_lu_of_the_target(name: str) -> None:
    wav = rendered(SIGNALS[name](np.random.default_rng(1)), spec(loudness=-18.0))
    measured = pyloudnorm.Meter(RATE).integrated_loudness(wav.samples().astype(np.float64))
    assert abs(measured + 18.0) < 0.5, measured
    assert loudness.true_peak_db(wav.samples(), RATE) <= -1.0 + 0.05


def test_the_true_peak_ceiling_wins_over_the_target() -> None:
    clicks = np.zeros(2 * RATE)
    clicks[::RATE // 4] = 0.5  # sparse clicks: very peaky, very quiet
    wav = rendered(clicks, spec(loudness=-10.0, true_peak_db=-3.0))
    assert loudness.true_peak_db(wav.samples(), RATE) == pytest.approx(-3.0, abs=0.1)
    assert pyloudnorm.Meter(RATE).integrated_loudness(wav.samples().astype(np.float64)) < -15  # could not reach -10


def test_clips_shorter_than_a_gating_block_use_the_stated_fallback() -> None:
    short = tone(1000, 0.1, 0.3)
    # one ungated block over the whole clip: the K-weighted mean square
    expected = -0.691 + 10 * math.log10(np.mean(loudness.k_weighted(short, RATE) ** 2))
    assert loudness.measure(short, RATE) == pytest.approx(expected)
    assert loudness.measure(short, RATE) == pytest.approx(-23.0, abs=0.1)


def test_silence_is_left_alone() -> None:
    assert loudness.measure(np.zeros(RATE), RATE) == -math.inf
    assert not rendered(np.zeros(RATE), spec(duration=1.0, loudness=-18.0)).samples().any()


def test_trim_cuts_silence_and_keeps_a_short_head_and_tail() -> None:
    x = np.concatenate([np.zeros(RATE // 2), tone(300, 0.5, 0.5), np.zeros(RATE)]).astype(np.float32)
    wav = rendered(x, spec(trim=True))
    seconds = wav.frames / RATE
    assert 0.5 + 0.01 + 0.15 - 0.002 <= seconds <= 0.5 + 0.01 + 0.15 + 0.002
    samples = wav.samples()
    assert abs(samples[0]) < 1e-3 and abs(samples[-1]) < 1e-3  # faded cut edges, no click


def seam_dip(samples: np.ndarray) -> float:
    """Quietest 2 ms window across the wrap-around point, relative to the clip's median window."""
    win = int(0.002 * RATE)
    wrapped = np.concatenate([samples[-20 * win:], samples[:20 * win]]).astype(np.float64)
    seam = [np.sqrt(np.mean(wrapped[i:i + win] ** 2)) for i in range(0, len(wrapped) - win, win // 2)]
    whole = [np.sqrt(np.mean(samples[i:i + win].astype(np.float64) ** 2)) for i in range(0, len(samples) - win, win)]
    return min(seam) / float(np.median(whole))


@pytest.mark.parametrize("prompt", ["heavy rain on a roof", "wind howling"])
def test_loop_is_seamless_and_marked_for_the_engines(prompt: str) -> None:
    x = synthesize(prompt, 4, 4.0, RATE)
    wav = rendered(x, spec(duration=4.0, loop=True, loop_crossfade=0.25, peak_db=-1.0))
    assert wav.frames == 4 * RATE - RATE // 4  # the crossfade is folded into the head
    assert [(lp.start, lp.end) for lp in wav.loops] == [(0, wav.frames - 1)]
    samples = wav.samples()
    assert seam_dip(samples) > 0.3  # no gap where the end wraps to the start
    assert abs(float(samples[0]) - float(samples[-1])) <= np.percentile(np.abs(np.diff(samples)), 99.9)
    assert seam_dip(x) < 0.1  # the control: the same clip looped as it was dips at the seam


def test_a_peaky_sound_below_its_target_says_why(project: GameProject) -> None:
    project.sound("hit", "punchy hit impact", "[output]\nloudness = -10\n", duration=1.0)
    doc = json.loads(project.run("build", "--json").out)
    (asset,) = doc["assets"]
    assert asset["outcome"] == "generated"
    assert "LUFS, not -10: the true-peak ceiling (-1 dBTP) allows no more" in asset["message"]


def test_finishing_through_a_real_build(project: GameProject) -> None:
    project.sound("rain_loop", "heavy rain on a roof", "[output]\nloop = true\nloudness = -20\ntrim = true\n",
                  duration=3.0)
    project.sound("wind", "wind howling", "[output]\nloudness = -20\nbit_depth = 24\n", duration=1.0)
    run = project.run("build", "--json")
    assert json.loads(run.out)["counts"]["installed"] == 2
    loop_wav = decode(project.wav("audio/rain_loop.wav").read_bytes())
    assert loop_wav.loops and loop_wav.loops[0].end == loop_wav.frames - 1
    wind = decode(project.wav("audio/wind.wav").read_bytes())
    assert wind.bit_depth == 24
    assert pyloudnorm.Meter(RATE).integrated_loudness(wind.samples().astype(np.float64)) == pytest.approx(-20, abs=0.5)
    assert wind.info["INAM"] == "wind howling" and wind.info["ISFT"] == "sfx-pipeline"
    assert "seed=" in wind.info["ICMT"] and "render=" in wind.info["ICMT"] and "model=" in wind.info["ICMT"]
