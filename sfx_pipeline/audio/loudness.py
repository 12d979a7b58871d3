"""Loudness (ITU-R BS.1770-4 / EBU R128) and true peak, with numpy and soxr only.

K-weighting is the two BS.1770 biquads, with coefficients derived for any rate (the
formulas libebur128 uses; at 48 kHz they give the standard's table). The filters are
applied in the frequency domain through their exact response, on an FFT long enough that
the recursive filters' tails have died out: the result equals causal IIR filtering to far
below a thousandth of a dB, without a per-sample Python loop.

Clips shorter than one 400 ms gating block cannot have an integrated loudness. They are
measured as one block over the whole clip, ungated: the K-weighted mean square of the
clip. This is stated in the README and is what `measure` returns for them.
"""

from __future__ import annotations

import math

import numpy as np
import soxr

BLOCK_SECONDS, HOP_SECONDS = 0.4, 0.1  # 400 ms blocks, 75 % overlap
ABSOLUTE_GATE, RELATIVE_GATE = -70.0, -10.0
_TAIL_SECONDS = 2.0  # the 38 Hz high-pass rings for well under this
TRUE_PEAK_OVERSAMPLING = 4


def _shelf(rate: int) -> tuple[list[float], list[float]]:
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh ** 0.4996667741545416
    a0 = 1 + k / q + k * k
    b = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    a = [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return b, a


def _high_pass(rate: int) -> tuple[list[float], list[float]]:
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    return [1.0, -2.0, 1.0], [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]


def _response(b: list[float], a: list[float], z: np.ndarray) -> np.ndarray:
    return (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)


def k_weighted(samples: np.ndarray, rate: int) -> np.ndarray:
    n = len(samples)
    size = 1 << math.ceil(math.log2(n + int(_TAIL_SECONDS * rate)))
    z = np.exp(-2j * np.pi * np.arange(size // 2 + 1) / size)  # z^-1 on the FFT bins
    response = _response(*_shelf(rate), z) * _response(*_high_pass(rate), z)
    return np.fft.irfft(np.fft.rfft(samples.astype(np.float64), size) * response, size)[:n]


def measure(samples: np.ndarray, rate: int) -> float:
    """Integrated loudness in LUFS; -inf for silence. Short clips: see the module doc."""
    power = k_weighted(samples, rate) ** 2
    block, hop = int(BLOCK_SECONDS * rate), int(HOP_SECONDS * rate)
    if len(power) < block:
        return _lufs(float(np.mean(power))) if len(power) else -math.inf
    starts = np.arange(0, len(power) - block + 1, hop)
    sums = np.concatenate([[0.0], np.cumsum(power)])
    blocks = (sums[starts + block] - sums[starts]) / block
    loud = blocks[_lufs_array(blocks) > ABSOLUTE_GATE]
    if not len(loud):
        return -math.inf
    relative = _lufs(float(np.mean(loud))) + RELATIVE_GATE
    gated = loud[_lufs_array(loud) > relative]
    return _lufs(float(np.mean(gated)))


def _lufs(mean_square: float) -> float:
    return -0.691 + 10 * math.log10(mean_square) if mean_square > 0 else -math.inf


def _lufs_array(mean_squares: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return -0.691 + 10 * np.log10(mean_squares)


def true_peak_db(samples: np.ndarray, rate: int) -> float:
    """Peak of the 4x oversampled signal in dBTP (catches inter-sample peaks a DAC would make)."""
    if not len(samples):
        return -math.inf
    oversampled = soxr.resample(samples.astype(np.float32), rate, rate * TRUE_PEAK_OVERSAMPLING, quality="VHQ")
    peak = float(np.max(np.abs(oversampled)))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def normalize_gain_db(samples: np.ndarray, rate: int, target_lufs: float, ceiling_dbtp: float) -> tuple[float, float]:
    """(gain, loudness reached): the gain that brings `samples` to `target_lufs`, lowered
    if needed so the true peak stays under `ceiling_dbtp`. A plain gain, no limiter: the
    sound is never reshaped, so a very peaky sound may stay below its target. Silence: 0."""
    loudness = measure(samples, rate)
    if loudness == -math.inf:
        return 0.0, loudness
    gain = min(target_lufs - loudness, ceiling_dbtp - true_peak_db(samples, rate))
    return gain, loudness + gain
