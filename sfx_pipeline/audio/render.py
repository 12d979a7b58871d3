"""Render: raw model audio → finished WAV bytes, as a list of small pure steps.

Each step takes a Signal and the spec and returns a Signal; the order is the order a mix
engineer would work in (rate and length first, level, then fades, then quantise last).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from sfx_pipeline.audio import fades, level, loop, loudness, provenance, resample, trim
from sfx_pipeline.audio.loop import LOOP_END, LOOP_START
from sfx_pipeline.audio.quantize import to_pcm
from sfx_pipeline.audio.signal import Signal
from sfx_pipeline.audio.wav import Loop, WavFile, encode
from sfx_pipeline.sound import SoundSpec

Step = Callable[[Signal, SoundSpec], Signal]


def to_output_rate(signal: Signal, spec: SoundSpec) -> Signal:
    return resample.fit_length(resample.resample(signal, spec.output.sample_rate), spec.duration)


def trim_silence(signal: Signal, spec: SoundSpec) -> Signal:
    return trim.trim(signal) if spec.output.trim else signal


def loop_seamlessly(signal: Signal, spec: SoundSpec) -> Signal:
    return loop.make_loop(signal, spec.output.loop_crossfade) if spec.output.loop else signal


def set_level(signal: Signal, spec: SoundSpec) -> Signal:
    out = spec.output
    if out.gain_db is not None:
        return level.apply_gain(signal, out.gain_db)
    if out.loudness is not None:
        gain, reached = loudness.normalize_gain_db(signal.samples, signal.rate, out.loudness, out.true_peak_db)
        signal = level.apply_gain(signal, gain)
        if reached < out.loudness - 0.5:
            signal = signal.noting(f"reached {reached:.1f} LUFS, not {out.loudness:g}: the true-peak ceiling "
                                   f"({out.true_peak_db:g} dBTP) allows no more; lower loudness or raise true_peak_db")
        return signal
    return level.normalize_peak(signal, out.peak_db if out.peak_db is not None else -1.0)


def apply_fades(signal: Signal, spec: SoundSpec) -> Signal:
    return fades.fade(signal, spec.output.fade_in, spec.output.fade_out)


# Order matters: trim and loop change the length, so they come before the level is
# measured, and the fades shape the final level.
STEPS: list[Step] = [to_output_rate, trim_silence, loop_seamlessly, set_level, apply_fades]


@dataclass(frozen=True)
class Rendered:
    data: bytes  # the WAV file
    notes: tuple[str, ...]  # what the person building should know


def render(audio: np.ndarray, rate: int, spec: SoundSpec, dither_seed: int, trace: dict[str, str]) -> Rendered:
    """The WAV for `spec`; `trace` (keys, backend, model) goes into the INFO chunk."""
    signal = Signal(np.asarray(audio, dtype=np.float32), rate)
    for step in STEPS:
        signal = step(signal, spec)
    pcm = to_pcm(signal.samples, spec.output.bit_depth, dither_seed)
    loops = [Loop(signal.marks[LOOP_START], signal.marks[LOOP_END])] if LOOP_START in signal.marks else []
    wav = WavFile(signal.rate, spec.output.bit_depth, 1, pcm, loops=loops, info=provenance.info(trace, spec.prompt, pcm))
    return Rendered(encode(wav), signal.notes)
