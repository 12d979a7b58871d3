"""Seamless loops: crossfade the tail into the head, and mark the loop for the engines.

The last `crossfade` seconds are mixed into the first ones with equal-power curves and
then dropped, so sample N-1 flows into sample 0 exactly as the original sound flowed on:
the loop is the clip minus the crossfade. The loop points go into the WAV's `smpl` chunk
(start 0, end N-1 inclusive), which Godot ("Detect From WAV"), Unreal and Wwise read.
"""

from __future__ import annotations

import numpy as np

from sfx_pipeline.audio.signal import Signal

LOOP_START, LOOP_END = "loop_start", "loop_end"


def make_loop(signal: Signal, crossfade: float) -> Signal:
    x = signal.samples
    n = min(int(round(crossfade * signal.rate)), len(x) // 2)
    if n < 1:
        return signal.with_samples(x, **{LOOP_START: 0, LOOP_END: len(x) - 1})
    phase = np.linspace(0.0, np.pi / 2, n, dtype=np.float64)
    head = x[:n] * np.sin(phase) + x[len(x) - n:] * np.cos(phase)
    looped = np.concatenate([head.astype(np.float32), x[n:len(x) - n]])
    return signal.with_samples(looped, **{LOOP_START: 0, LOOP_END: len(looped) - 1})
