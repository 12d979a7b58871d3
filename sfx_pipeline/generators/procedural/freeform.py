"""A sound for prompts that name no known family.

Its character (pitch, partials, noise colour, envelope, rhythm, modulation) comes from a
stable hash of the prompt's words, so the same words always give the same kind of sound
and two different prompts give clearly different ones; the seed only varies the detail.
A few descriptive words nudge the hashed choices where they obviously should.
"""

from __future__ import annotations

import hashlib

import numpy as np

from . import dsp as d
from .words import has

_STOP = frozenset("a an the of and or in on at to with from by for into onto some this that".split())


def _character(words: frozenset[str]) -> np.ndarray:
    """24 numbers in [0, 1) that depend only on the prompt's content words."""
    content = sorted(w for w in words if w not in _STOP)
    digest = hashlib.blake2b("\x00".join(content).encode("utf-8"), digest_size=48).digest()
    return np.frombuffer(digest, dtype=">u2").astype(float) / 65536.0


def freeform(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    u = _character(words)
    t = d.times(n, rate)

    tone = u[0]
    if has(words, "hum", "drone", "buzz", "tone", "whine", "sing", "ring", "hmm", "beam", "choir"):
        tone = 0.7 + 0.3 * tone
    elif has(words, "hiss", "static", "noise", "rustl", "scratch", "crunch", "sizzl", "steam"):
        tone = 0.2 * tone
    pitch = 40.0 * 2.0 ** (u[1] * 5.5)  # 40 Hz .. 1.8 kHz
    if has(words, "low", "deep", "bass", "giant", "rumbl", "huge", "heavy", "dark"):
        pitch = max(30.0, pitch / 3.0)
    elif has(words, "high", "tiny", "small", "shrill", "squeak", "bright", "little"):
        pitch = min(3000.0, pitch * 3.0)
    pitch *= rng.uniform(0.98, 1.02)

    # Pitch track: optional glide across the clip, vibrato, and FM for metallic/growly tones.
    glide = (u[13] - 0.5) * 2.0 if u[14] > 0.5 else 0.0
    vib = 1.0 + 0.02 * u[12] * np.sin(2 * np.pi * (0.2 + 7.0 * u[11]) * t + rng.uniform(0, 6.3))
    freq = pitch * 2.0 ** (glide * t / max(duration, 1e-3)) * vib
    fm_ratio = (0.5, 1.414, 2.0, 3.5)[int(u[16] * 4)]
    fm = 3.0 * u[15] ** 2 * np.sin(2 * np.pi * d.phase_from_freq(freq * fm_ratio, n, rate))
    base_phase = d.phase_from_freq(freq, n, rate)
    partials = 1 + int(u[2] * 6)
    stretch = 0.3 * u[3] ** 2  # inharmonicity: 0 is a clean harmonic series, more is bell-like
    rolloff = 0.5 + u[4]
    tonal = np.zeros(n)
    for k in range(1, partials + 1):
        ratio = k * (1.0 + stretch * (k - 1))
        if pitch * ratio > 0.45 * rate:
            break
        tonal += np.sin(2 * np.pi * base_phase * ratio + fm) / k ** rolloff
    tonal /= np.sqrt(np.mean(tonal * tonal)) + 1e-12

    centre = min(200.0 * 2.0 ** (u[6] * 5.0), 0.4 * rate)
    hiss = d.noise(rng, n, rate, d.bp(centre, 0.5 + 5.0 * u[7]), colour=-1.0 + u[5])
    x = tone * tonal + (1.0 - tone) * hiss

    # Envelope: sustained swell, single decaying hit, rhythmic hits, or pulsing.
    kind = int(u[8] * 4)
    if has(words, "pulse", "puls", "throb", "beat", "beep", "tick"):
        kind = 3
    elif kind in (1, 2) and has(words, "hum", "drone", "ambienc", "ambient", "loop", "hmm"):
        kind = 0  # a hum goes on; it does not decay or stutter
    rhythm = 1.5 + 8.5 * u[9]
    if kind == 0:
        env = d.adsr(n, rate, 0.05 + 0.9 * u[10] * min(1.0, duration / 3), 0.2, 0.8, 0.2 + 0.8 * u[17])
    elif kind == 1:
        env = d.exp_decay(n, rate, 0.1 + 0.9 * u[10] * min(1.0, duration / 2), rng.uniform(0.005, 0.03))
    elif kind == 2:
        ph = d.phase_from_freq(rhythm * (1 + 0.03 * d.slow_noise(rng, n, rate, 1.0)), n, rate)
        env = np.exp(-(ph - np.floor(ph)) * (3.0 + 10.0 * u[10]))
    else:
        depth = 0.4 + 0.6 * u[10]
        env = 1.0 - depth * (0.5 + 0.5 * np.cos(2 * np.pi * (rhythm * 0.5) * t + rng.uniform(0, 6.3)))
    env = env * (1.0 + 0.1 * d.slow_noise(rng, n, rate, 2.0))  # the seed's own small drift
    return x * env
