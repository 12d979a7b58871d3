"""The arcade family: coin, laser, jump, power-up, hit, UI blip.

Chip-tune style: square/saw/triangle oscillators with pitch sweeps and steps, the way
8-bit consoles made these sounds. Each is a one-shot at the start of the clip; the rest of
the clip is silence, so the asset can be trimmed or used as is. Same signature as the
natural families in families.py.
"""

from __future__ import annotations

import numpy as np

from . import dsp as d
from .words import has, intensity

SEMITONE = 2.0 ** (1.0 / 12.0)


def _one_shot(n: int, rate: int, seg: np.ndarray, start: float = 0.0) -> np.ndarray:
    """Place a segment in a silent clip. Its ends get a short fade (1 ms in, 5 ms out) so a
    tail still sounding when the segment stops does not click."""
    out = np.zeros(n)
    s = int(start * rate)
    m = max(0, min(len(seg), n - s))
    seg = seg[:m].copy()
    k_in, k_out = min(m // 2, int(0.001 * rate)), min(m // 2, int(0.005 * rate))
    if k_in > 1:
        seg[:k_in] *= np.linspace(0.0, 1.0, k_in)
    if k_out > 1:
        seg[m - k_out:] *= np.linspace(1.0, 0.0, k_out)
    out[s:s + m] = seg
    return out


def _seconds(n: int, rate: int, want: float) -> int:
    """A segment of `want` seconds, capped to the clip."""
    return max(8, min(int(want * rate), n))


def coin(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    # Two notes a fourth (sometimes a fifth) apart: the classic "ba-ding".
    f1 = 987.77 * SEMITONE ** int(rng.integers(-2, 5))
    f2 = f1 * SEMITONE ** (5 if rng.random() < 0.7 else 7)
    t1 = rng.uniform(0.06, 0.09)
    m = _seconds(n, rate, min(duration, t1 + rng.uniform(0.3, 0.6)))
    t = np.arange(m) / rate
    freq = np.where(t < t1, f1, f2)
    duty = 0.5 if rng.random() < 0.6 else 0.25
    wave = d.osc(freq, m, rate, "square", duty=duty)
    env = np.where(t < t1, 1.0, np.exp(-(t - t1) / rng.uniform(0.12, 0.2)))
    seg = d.filt(wave * env, rate, d.lp(min(9000.0, 0.4 * rate)), pad=0.01)
    return _one_shot(n, rate, seg)


def laser(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    shots = 1
    if has(words, "rapid", "burst", "repeat", "machine", "barrage", "pewpew"):  # "pew pew"
        shots = int(rng.integers(3, 6))
    length = rng.uniform(0.15, 0.35)
    gap = length * rng.uniform(0.9, 1.3)
    f0 = min(rng.uniform(1200, 2600), 0.35 * rate)
    f1 = f0 * rng.uniform(0.1, 0.22)
    m = _seconds(n, rate, length)
    t = np.arange(m) / rate
    # Falling exponential sweep with a fast vibrato: the "pew".
    freq = d.sweep(f0, f1, m, rate, length=length) * (1 + 0.04 * np.sin(2 * np.pi * rng.uniform(30, 60) * t))
    wave = 0.7 * d.osc(freq, m, rate, "saw") + 0.3 * d.osc(freq, m, rate, "square")
    env = np.exp(-t / (length * 0.45)) * np.clip(t / 0.002, 0, 1)
    seg = d.filt(wave * env, rate, d.lp(min(7000.0, 0.4 * rate)), pad=0.01)
    out = np.zeros(n)
    for i in range(shots):
        out += _one_shot(n, rate, seg * (1.0 - 0.08 * i), 0.01 + i * gap)
    return out


def jump(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    length = rng.uniform(0.15, 0.3) * (1.3 if has(words, "big", "high", "super") else 1.0)
    m = _seconds(n, rate, length)
    t = np.arange(m) / rate
    freq = d.sweep(rng.uniform(150, 250), rng.uniform(550, 900), m, rate, length=length)
    wave = d.osc(freq, m, rate, "square", duty=0.5 if rng.random() < 0.5 else 0.25)
    env = np.clip((length - t) / (0.3 * length), 0, 1)  # hold, then a short release
    seg = d.filt(wave * env, rate, d.lp(min(6000.0, 0.4 * rate)), pad=0.01)
    return _one_shot(n, rate, seg)


def powerup(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    # A fast rising arpeggio climbing through two or three octaves.
    root = 220.0 * SEMITONE ** int(rng.integers(0, 12))
    chord = [0, 4, 7] if rng.random() < 0.6 else [0, 5, 7]
    steps = [c + 12 * o for o in range(3) for c in chord] + [36]
    note = rng.uniform(0.04, 0.065)
    m = _seconds(n, rate, note * len(steps) + 0.15)
    t = np.arange(m) / rate
    idx = np.minimum((t / note).astype(int), len(steps) - 1)
    freq = root * SEMITONE ** np.array(steps, dtype=float)[idx]
    freq = np.minimum(freq * (1 + 0.01 * np.sin(2 * np.pi * 12 * t)), 0.4 * rate)
    wave = 0.6 * d.osc(freq, m, rate, "square") + 0.4 * d.osc(freq, m, rate, "triangle")
    env = np.clip((m / rate - t) / 0.15, 0, 1) * (0.8 + 0.2 * np.cos(2 * np.pi * t / note))
    seg = d.filt(wave * env, rate, d.lp(min(8000.0, 0.4 * rate)), pad=0.01)
    return _one_shot(n, rate, seg)


def hit(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    length = min(0.6 * k, duration)
    m = _seconds(n, rate, length)
    t = np.arange(m) / rate
    # A body thump (pitch dropping fast) under a short noise smack and a click.
    thump_f = d.sweep(rng.uniform(130, 180) / k ** 0.5, rng.uniform(40, 55), m, rate, length=0.12)
    thump = d.osc(thump_f, m, rate) * np.exp(-t / (rng.uniform(0.06, 0.1) * k))
    bright = 4000.0 if has(words, "slap", "smack", "whip") else 2500.0
    smack = d.noise(rng, m, rate, d.band(150, bright)) * np.exp(-t / rng.uniform(0.015, 0.03))
    click = d.white(rng, m) * np.exp(-t / 0.0015)
    seg = (1.0 * thump + 0.5 * smack + 0.3 * click) * np.clip(t / 0.001, 0, 1)
    return d.soft_clip(_one_shot(n, rate, seg, rng.uniform(0.005, 0.02)), 1.8)


def blip(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    if has(words, "click", "tick", "tap", "press"):
        # A tiny mechanical click with a hint of pitch.
        m = _seconds(n, rate, 0.03)
        t = np.arange(m) / rate
        seg = d.noise(rng, m, rate, d.band(1500, min(9000.0, 0.4 * rate))) * np.exp(-t / 0.002)
        seg += 0.3 * d.osc(rng.uniform(1500, 3000), m, rate) * np.exp(-t / 0.008)
        return _one_shot(n, rate, seg)
    f = rng.uniform(700, 1800)
    notes = [f]
    if has(words, "select", "confirm", "ok", "accept"):
        notes = [f, f * SEMITONE ** 7]
    elif has(words, "error", "cancel", "back", "deny", "wrong"):
        notes = [f, f * SEMITONE ** -6]
    note = rng.uniform(0.035, 0.07)
    m = _seconds(n, rate, note * len(notes))
    t = np.arange(m) / rate
    freq = np.array(notes)[np.minimum((t / note).astype(int), len(notes) - 1)]
    shape = "square" if rng.random() < 0.5 else "sine"
    env = np.clip((m / rate - t) / 0.01, 0, 1)
    seg = d.filt(d.osc(freq, m, rate, shape) * env, rate, d.lp(min(7000.0, 0.4 * rate)), pad=0.01)
    return _one_shot(n, rate, seg)
