"""Trim leading and trailing silence, keeping a little air around the sound.

"Silence" is relative to the clip's own peak (50 dB below it): generated clips come at
any level, and trimming runs before the level is set. A short head keeps the attack's
pre-ring; a longer tail keeps the natural decay; the cut edges get 2 ms fades so a cut
inside a noise floor never clicks.
"""

from __future__ import annotations

import numpy as np

from sfx_pipeline.audio.signal import Signal

THRESHOLD_DB = -50.0
HEAD_SECONDS, TAIL_SECONDS, EDGE_SECONDS = 0.01, 0.15, 0.002


def trim(signal: Signal) -> Signal:
    x = signal.samples
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak == 0.0:
        return signal
    loud = np.flatnonzero(np.abs(x) >= peak * 10 ** (THRESHOLD_DB / 20))
    start = max(0, int(loud[0]) - int(HEAD_SECONDS * signal.rate))
    end = min(len(x), int(loud[-1]) + 1 + int(TAIL_SECONDS * signal.rate))
    cut = x[start:end].copy()
    edge = min(int(EDGE_SECONDS * signal.rate), len(cut) // 2)
    if edge and start > 0:
        cut[:edge] *= np.linspace(0.0, 1.0, edge, dtype=np.float32)
    if edge and end < len(x):
        cut[-edge:] *= np.linspace(1.0, 0.0, edge, dtype=np.float32)
    return signal.with_samples(cut)
