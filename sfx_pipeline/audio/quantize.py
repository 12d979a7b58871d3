"""Float to integer PCM. 16 bit gets TPDF dither (seeded, so the bytes are reproducible);
24 bit is rounded, its quantisation noise sits far below any playback system's floor."""

from __future__ import annotations

import numpy as np


def to_pcm(samples: np.ndarray, bit_depth: int, seed: int) -> bytes:
    full = float(2 ** (bit_depth - 1))
    scaled = samples.astype(np.float64) * full
    if bit_depth == 16:
        rng = np.random.default_rng(seed)
        scaled += rng.random(len(scaled)) - rng.random(len(scaled))  # triangular, ±1 LSB
    ints = np.clip(np.round(scaled), -full, full - 1).astype(np.int32)
    if bit_depth == 16:
        return ints.astype("<i2").tobytes()
    if bit_depth == 24:
        little = ints.astype("<i4").view(np.uint8).reshape(-1, 4)
        return little[:, :3].tobytes()  # drop the high byte of each little-endian int32
    raise ValueError(f"unsupported bit depth {bit_depth}")


def from_pcm(data: bytes, bit_depth: int) -> np.ndarray:
    """Inverse of to_pcm, for reading WAVs back."""
    if bit_depth == 16:
        return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
    if bit_depth == 24:
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3)
        padded = np.zeros((len(raw), 4), dtype=np.uint8)
        padded[:, 1:] = raw  # shift left 8 bits, then arithmetic-shift back for the sign
        return (padded.view("<i4").ravel() >> 8).astype(np.float32) / 8388608.0
    raise ValueError(f"unsupported bit depth {bit_depth}")
