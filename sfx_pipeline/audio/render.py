"""Render: raw model audio → finished WAV bytes, as a list of small pure steps.

Each step takes a Signal and the spec and returns a Signal; the order is the order a mix
engineer would work in (rate and length first, level, then fades, then quantise last).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sfx_pipeline.audio import fades, level, provenance, resample
from sfx_pipeline.audio.quantize import to_pcm
from sfx_pipeline.audio.signal import Signal
from sfx_pipeline.audio.wav import WavFile, encode
from sfx_pipeline.descriptor import SoundSpec

Step = Callable[[Signal, SoundSpec], Signal]


def to_output_rate(signal: Signal, spec: SoundSpec) -> Signal:
    return resample.fit_length(resample.resample(signal, spec.output.sample_rate), spec.duration)


def set_level(signal: Signal, spec: SoundSpec) -> Signal:
    if spec.output.gain_db is not None:
        return level.apply_gain(signal, spec.output.gain_db)
    return level.normalize_peak(signal, spec.output.peak_db if spec.output.peak_db is not None else -1.0)


def apply_fades(signal: Signal, spec: SoundSpec) -> Signal:
    return fades.fade(signal, spec.output.fade_in, spec.output.fade_out)


STEPS: list[Step] = [to_output_rate, set_level, apply_fades]


def render(audio: np.ndarray, rate: int, spec: SoundSpec, dither_seed: int, trace: dict[str, str]) -> bytes:
    """WAV bytes for `spec`; `trace` (keys, backend, model) goes into the INFO chunk."""
    signal = Signal(np.asarray(audio, dtype=np.float32), rate)
    for step in STEPS:
        signal = step(signal, spec)
    pcm = to_pcm(signal.samples, spec.output.bit_depth, dither_seed)
    return encode(WavFile(signal.rate, spec.output.bit_depth, 1, pcm, info=provenance.info(trace, spec.prompt, pcm)))
