"""Fades with a raised-cosine curve: no click at either end, no audible corner."""

from __future__ import annotations

import numpy as np

from sfx_pipeline.audio.signal import Signal


def _ramp(n: int) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float64))).astype(np.float32)


def fade(signal: Signal, fade_in: float, fade_out: float) -> Signal:
    n_in = min(int(round(fade_in * signal.rate)), len(signal.samples))
    n_out = min(int(round(fade_out * signal.rate)), len(signal.samples))
    if not n_in and not n_out:
        return signal
    samples = signal.samples.copy()
    if n_in:
        samples[:n_in] *= _ramp(n_in)
    if n_out:
        samples[len(samples) - n_out:] *= _ramp(n_out)[::-1]
    return signal.with_samples(samples)
