"""Level: a fixed gain, or the sample peak normalised to a target."""

from __future__ import annotations

import numpy as np

from sfx_pipeline.audio.signal import Signal, db_to_gain


def apply_gain(signal: Signal, gain_db: float) -> Signal:
    return signal.with_samples(signal.samples * db_to_gain(gain_db))


def normalize_peak(signal: Signal, peak_db: float) -> Signal:
    peak = float(np.max(np.abs(signal.samples))) if len(signal.samples) else 0.0
    if peak < 1e-9:  # silence stays silence rather than amplified noise floor
        return signal
    return signal.with_samples(signal.samples * (db_to_gain(peak_db) / peak))
