"""Public API of the procedural synthesizer: classify a prompt, synthesise a clip.

Offline, CPU-only, deterministic placeholders for the prompts one would give AudioGen.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from . import dsp as d
from .families import FAMILIES, MIX_THRESHOLD, TRIGGERS
from .freeform import freeform
from .words import stems_with_pairs, word_set

PEAK = 10.0 ** (-1.0 / 20.0)  # -1 dBFS
SECOND_LAYER_GAIN = 0.4  # the second family sits 8 dB (RMS) under the first
_ORDER = {name: i for i, name in enumerate(FAMILIES)}


def _ranked(prompt: str) -> list[tuple[str, float]]:
    """(family, score), most relevant first. Score sums each distinct matching stem's weight
    (so "car door slam" is a door before it is a car); ties go to the family named first."""
    weights: dict[str, dict[str, float]] = {}
    first: dict[str, int] = {}
    for st, pos in stems_with_pairs(prompt):
        for family, w in TRIGGERS.get(st, ()):
            per = weights.setdefault(family, {})
            per[st] = max(per.get(st, 0.0), w)
            first[family] = min(first.get(family, pos), pos)
    scores = {f: sum(per.values()) for f, per in weights.items()}
    order = sorted(scores, key=lambda f: (-scores[f], first[f], _ORDER[f]))
    return [(f, scores[f]) for f in order]


def classify(prompt: str) -> list[str]:
    """Families recognised in the prompt, most relevant first; [] when none."""
    return [f for f, _ in _ranked(prompt)]


def _rng(prompt: str, seed: int, layer: str) -> np.random.Generator:
    # hashlib, not hash(): Python salts str hashes per process, which would break
    # determinism across runs. Case and spacing of the prompt do not matter.
    text = " ".join(prompt.lower().split())
    digest = hashlib.sha256(f"{int(seed)}\x00{layer}\x00{text}".encode()).digest()
    return np.random.Generator(np.random.PCG64(int.from_bytes(digest[:16], "little")))


def _unit_peak(x: np.ndarray) -> np.ndarray:
    m = float(np.max(np.abs(x))) if len(x) else 0.0
    return x / m if m > 0 and math.isfinite(m) else np.zeros_like(x)


def _under(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Scale layer y to sit SECOND_LAYER_GAIN under x by RMS (so steady rain under a
    thunder clap is audible), but never to peak above x (so a one-shot under a steady
    bed does not swamp it)."""
    rx, ry = float(np.sqrt(np.mean(x * x))), float(np.sqrt(np.mean(y * y)))
    if ry <= 0.0 or not math.isfinite(ry):
        return np.zeros_like(y)
    gain = min(SECOND_LAYER_GAIN * rx / ry, float(np.max(np.abs(x))) / float(np.max(np.abs(y))))
    return y * gain


def synthesize(prompt: str, seed: int, duration: float, rate: int) -> np.ndarray:
    """A mono float32 clip of exactly round(duration * rate) samples, peak about -1 dBFS."""
    if not (isinstance(rate, (int, np.integer)) and 8000 <= rate <= 384000):
        raise ValueError(f"rate must be an integer sample rate in 8000..384000, got {rate!r}")
    if not (math.isfinite(duration) and duration > 0):
        raise ValueError(f"duration must be a positive number of seconds, got {duration!r}")
    n = d.n_samples(duration, rate)
    if n < 1:
        raise ValueError(f"duration {duration!r} s is shorter than one sample at {rate} Hz")
    rate = int(rate)
    words = word_set(prompt)
    ranked = _ranked(prompt)

    if not ranked:
        x = _unit_peak(d.fit(freeform(_rng(prompt, seed, "freeform"), duration, rate, words), n))
    else:
        name = ranked[0][0]
        x = _unit_peak(d.fit(FAMILIES[name](_rng(prompt, seed, name), duration, rate, words), n))
        if len(ranked) > 1 and ranked[1][1] >= MIX_THRESHOLD:  # e.g. thunder + rain
            second = ranked[1][0]
            y = FAMILIES[second](_rng(prompt, seed, second), duration, rate, words)
            x = x + _under(x, d.fit(y, n))

    x = np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)
    x = d.filt(x, rate, d.hp(20.0), pad=0.05)  # DC and inaudible rumble waste headroom
    x = x - x.mean()
    x = d.fades(x, rate, 0.005)
    if not np.max(np.abs(x)) > 1e-9:
        # Only reachable for clips too short for the family's event: still return a sound.
        x = d.fades(d.white(_rng(prompt, seed, "fallback"), n) * np.hanning(n), rate, 0.005)
    return d.normalise(x, PEAK).astype(np.float32)
