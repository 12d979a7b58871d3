"""Sample-rate conversion with soxr (high quality, fast, no torch needed)."""

from __future__ import annotations

import numpy as np
import soxr

from sfx_pipeline.audio.signal import Signal


def resample(signal: Signal, rate: int) -> Signal:
    if signal.rate == rate:
        return signal
    out = soxr.resample(signal.samples.astype(np.float32, copy=False), signal.rate, rate, quality="VHQ")
    return Signal(np.ascontiguousarray(out, dtype=np.float32), rate, {}, signal.notes)


def fit_length(signal: Signal, seconds: float) -> Signal:
    """Exactly round(seconds * rate) samples: models emit whole frames, users ask for seconds."""
    want = int(round(seconds * signal.rate))
    samples = signal.samples[:want]
    if len(samples) < want:
        samples = np.concatenate([samples, np.zeros(want - len(samples), dtype=np.float32)])
    return signal.with_samples(samples)
