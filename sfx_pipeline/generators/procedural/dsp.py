"""Small numpy DSP building blocks for the procedural synthesizer.

Everything works on whole float64 arrays: no per-sample Python loops. Filters are applied
in the FFT domain by multiplying an rfft spectrum with the *complex* frequency response of
an analog prototype (one-pole, biquad). Because those prototypes are causal, a transient
rings after the hit, never before it, which zero-phase "magnitude only" shaping would do.
Convolutions that must not wrap around (anything with transients) are zero-padded.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

Response = Callable[[np.ndarray], np.ndarray]  # frequencies in Hz -> complex gain per bin

TWO_PI = 2.0 * np.pi


def n_samples(duration: float, rate: int) -> int:
    """The one place that decides clip length, so every family agrees with synth.py."""
    return int(round(duration * rate))


def next_fast_len(n: int) -> int:
    """Smallest 2^a*3^b*5^c >= n: pocketfft is slow on lengths with large prime factors."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def fit(x: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad to exactly n samples."""
    if len(x) >= n:
        return x[:n]
    return np.concatenate([x, np.zeros(n - len(x))])


# ---------------------------------------------------------------------------------------
# Frequency responses (evaluated at analog s = j*2*pi*f; causal by construction)


def _s(f: np.ndarray) -> np.ndarray:
    return 1j * TWO_PI * f


def lp(fc: float, q: float = 0.707, order: int = 1) -> Response:
    """Biquad low-pass; `order` cascades it (12 dB/oct per stage)."""
    wc = TWO_PI * fc

    def h(f: np.ndarray) -> np.ndarray:
        s = _s(f)
        return (wc * wc / (s * s + s * wc / q + wc * wc)) ** order

    return h


def hp(fc: float, q: float = 0.707, order: int = 1) -> Response:
    wc = TWO_PI * fc

    def h(f: np.ndarray) -> np.ndarray:
        s = _s(f)
        return (s * s / (s * s + s * wc / q + wc * wc)) ** order

    return h


def bp(fc: float, q: float = 1.0) -> Response:
    """Unity-peak band-pass; high q makes a ringing resonator."""
    wc = TWO_PI * fc

    def h(f: np.ndarray) -> np.ndarray:
        s = _s(f)
        return (s * wc / q) / (s * s + s * wc / q + wc * wc)

    return h


def band(lo: float, hi: float, order: int = 1) -> Response:
    """Wide band-pass as a high-pass/low-pass cascade (for noise beds)."""
    a, b = hp(lo, order=order), lp(hi, order=order)
    return lambda f: a(f) * b(f)


def peaks(freqs: ArrayLike, q: ArrayLike, gains: ArrayLike) -> Response:
    """Sum of resonators: body modes of wood, metal, exhaust pipes, vocal-ish formants."""
    freqs = np.atleast_1d(np.asarray(freqs, dtype=float))
    qs = np.broadcast_to(np.asarray(q, dtype=float), freqs.shape)
    gains = np.broadcast_to(np.asarray(gains, dtype=float), freqs.shape)

    def h(f: np.ndarray) -> np.ndarray:
        out = np.zeros(len(f), dtype=complex)
        for fc, qq, g in zip(freqs, qs, gains):
            out += g * bp(float(fc), float(qq))(f)
        return out

    return h


def tilt(exponent: float, f0: float = 1000.0) -> Response:
    """Magnitude ~ (f/f0)^exponent: -0.5 turns white into pink, -1.0 into brown."""

    def h(f: np.ndarray) -> np.ndarray:
        g = np.empty(len(f))
        g[1:] = (np.maximum(f[1:], 10.0) / f0) ** exponent
        g[0] = 0.0  # no DC
        return g

    return h


def chain(*responses: Response) -> Response:
    def h(f: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.ones(len(f), dtype=complex)
        for r in responses:
            out = out * r(f)
        return out

    return h


def filt(x: np.ndarray, rate: int, response: Response, pad: float = 0.05) -> np.ndarray:
    """Apply `response` via one rfft/irfft pair. `pad` seconds of zeros stop ringing from
    the clip's end wrapping round onto its start; 0 is fine for stationary noise."""
    n = len(x)
    size = next_fast_len(n + int(pad * rate))
    spec = np.fft.rfft(x, size)
    spec *= response(np.fft.rfftfreq(size, 1.0 / rate))
    return np.fft.irfft(spec, size)[:n]


# ---------------------------------------------------------------------------------------
# Noise


def noise(rng: np.random.Generator, n: int, rate: int, response: Response | None = None,
          colour: float = 0.0) -> np.ndarray:
    """Gaussian noise synthesised directly as a random spectrum: colour (0 white, -0.5 pink,
    -1 brown) and any filter cost a single irfft. Circular, so it loops seamlessly; unit RMS."""
    size = next_fast_len(max(n, 2))
    m = size // 2 + 1
    spec = rng.standard_normal(m) + 1j * rng.standard_normal(m)
    f = np.fft.rfftfreq(size, 1.0 / rate)
    if colour:
        spec *= tilt(colour)(f)
    if response is not None:
        spec *= response(f)
    spec[0] = 0.0
    x = np.fft.irfft(spec, size)[:n]
    return x / (np.sqrt(np.mean(x * x)) + 1e-12)


def white(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n)


def slow_noise(rng: np.random.Generator, n: int, rate: int, hz: float) -> np.ndarray:
    """Smooth random curve (about `hz` wiggles per second), unit-ish variance. Built at
    control rate and cosine-interpolated, which is far cheaper than filtering audio-rate noise."""
    points = rng.standard_normal(int(np.ceil(n / rate * hz)) + 3)
    pos = np.arange(n) * (hz / rate)
    i = pos.astype(np.int64)
    w = 0.5 - 0.5 * np.cos(np.pi * (pos - i))
    return points[i] * (1.0 - w) + points[i + 1] * w


# ---------------------------------------------------------------------------------------
# Envelopes and oscillators


def times(n: int, rate: int) -> np.ndarray:
    return np.arange(n) / rate


def exp_decay(n: int, rate: int, tau: float, start: float = 0.0) -> np.ndarray:
    """e^(-(t-start)/tau) after `start`, 0 before it."""
    t = times(n, rate) - start
    return np.where(t >= 0, np.exp(-np.maximum(t, 0.0) / max(tau, 1e-5)), 0.0)


def adsr(n: int, rate: int, a: float, d: float, s: float, r: float,
         hold: float | None = None) -> np.ndarray:
    """Piecewise-linear ADSR; the release starts after `hold` seconds (default: fits n)."""
    total = n / rate
    if hold is None:
        hold = max(a + d, total - r)
    t = times(n, rate)
    pts_t = [0.0, a, a + d, max(hold, a + d), max(hold, a + d) + r]
    pts_v = [0.0, 1.0, s, s, 0.0]
    return np.interp(t, pts_t, pts_v)


def phase_from_freq(freq: np.ndarray | float, n: int, rate: int) -> np.ndarray:
    """Phase in cycles; integrating frequency keeps sweeps click-free."""
    f = np.broadcast_to(np.asarray(freq, dtype=float), (n,))
    return np.cumsum(f) / rate


def osc(freq: np.ndarray | float, n: int, rate: int, shape: str = "sine",
        duty: float = 0.5, phase0: float = 0.0) -> np.ndarray:
    """Oscillator with arbitrary per-sample frequency. Square/saw are naive (they alias a
    little above a few kHz) which suits the retro arcade family."""
    ph = phase_from_freq(freq, n, rate) + phase0
    if shape == "sine":
        return np.sin(TWO_PI * ph)
    frac = ph - np.floor(ph)
    if shape == "square":
        return np.where(frac < duty, 1.0, -1.0)
    if shape == "saw":
        return 2.0 * frac - 1.0
    if shape == "triangle":
        return 4.0 * np.abs(frac - 0.5) - 1.0
    raise ValueError(f"unknown oscillator shape {shape!r}")


def sweep(f0: float, f1: float, n: int, rate: int, curve: str = "exp",
          length: float | None = None) -> np.ndarray:
    """Frequency track from f0 to f1 over `length` seconds (then held)."""
    t = times(n, rate)
    u = np.clip(t / (length if length else max(n / rate, 1e-6)), 0.0, 1.0)
    if curve == "exp":
        return f0 * (f1 / f0) ** u
    return f0 + (f1 - f0) * u


# ---------------------------------------------------------------------------------------
# Events: many short grains (drops, crackles, shards, chirps) scattered in one pass


def scatter(n: int, starts: np.ndarray, grains: np.ndarray) -> np.ndarray:
    """Sum grains[k] into the output at sample starts[k]. grains is (events, length);
    np.bincount does the overlapping adds without a Python loop; parts past n are dropped."""
    out = np.zeros(n)
    if len(starts) == 0:
        return out
    length = grains.shape[1]
    idx = (np.asarray(starts, dtype=np.int64)[:, None] + np.arange(length)[None, :]).ravel()
    vals = grains.ravel()
    keep = (idx >= 0) & (idx < n)
    if not keep.any():
        return out
    return np.bincount(idx[keep], weights=vals[keep], minlength=n)[:n]


def poisson_times(rng: np.random.Generator, rate_hz: float, duration: float,
                  start: float = 0.0) -> np.ndarray:
    """Event times of a Poisson process (rain drops, crackles)."""
    span = max(duration - start, 0.0)
    count = int(rng.poisson(max(rate_hz, 0.0) * span))
    return np.sort(start + span * rng.random(count))


def modal_grains(rate: int, length: float, freqs: np.ndarray, decays: np.ndarray,
                 amps: np.ndarray, chirp: np.ndarray | float = 0.0) -> np.ndarray:
    """(events, samples) array of damped sinusoids: one row per event, summing `modes`
    partials. freqs/decays/amps are (events, modes). chirp: relative frequency rise per
    second (water bubbles rise in pitch as they shrink)."""
    t = np.arange(max(int(length * rate), 1)) / rate
    freqs = np.atleast_2d(freqs)
    decays = np.atleast_2d(decays)
    amps = np.atleast_2d(amps)
    chirp_arr = np.broadcast_to(np.asarray(chirp, dtype=float), (freqs.shape[0],))
    warp = t + 0.5 * chirp_arr[:, None] * t * t  # phase of f*(1 + chirp*t)
    out = np.zeros((freqs.shape[0], len(t)))
    for m in range(freqs.shape[1]):
        out += (amps[:, m:m + 1] * np.exp(-t[None, :] / decays[:, m:m + 1])
                * np.sin(TWO_PI * freqs[:, m:m + 1] * warp))
    # Fade the last 5 ms: a grain cut off while still ringing would click.
    k = min(len(t) // 2, max(int(0.005 * rate), 1))
    out[:, len(t) - k:] *= np.linspace(1.0, 0.0, k)
    return out


# ---------------------------------------------------------------------------------------
# Space and output


def convolve(x: np.ndarray, ir: np.ndarray) -> np.ndarray:
    """Linear (padded) FFT convolution, truncated to len(x)."""
    size = next_fast_len(len(x) + len(ir))
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(ir, size), size)
    return y[: len(x)]


def reverb(rng: np.random.Generator, x: np.ndarray, rate: int, rt60: float,
           wet: float = 0.3, damp_hz: float = 6000.0) -> np.ndarray:
    """Feedback-free reverb: convolve with exponentially decaying, low-passed noise.
    Stable by construction and cheap enough to use anywhere."""
    length = max(int(min(rt60, 4.0) * rate), 16)
    t = np.arange(length) / rate
    ir = rng.standard_normal(length) * np.exp(-6.9 * t / rt60)
    k = min(int(0.004 * rate), length)
    ir[:k] *= np.linspace(0.0, 1.0, k)  # soft onset, so the tail does not flam with the dry hit
    ir = filt(ir, rate, lp(damp_hz), pad=0.0)
    ir /= np.sqrt(np.sum(ir * ir)) + 1e-12
    wet_sig = convolve(x, ir)
    return (1.0 - wet) * x + wet * wet_sig * (np.max(np.abs(x)) / (np.max(np.abs(wet_sig)) + 1e-12))


def fades(x: np.ndarray, rate: int, seconds: float = 0.005) -> np.ndarray:
    """Raised-cosine fade in/out so the clip starts and ends at exactly zero (no clicks)."""
    k = min(int(seconds * rate), len(x) // 2)
    if k < 2:
        return x
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, k))
    x = x.copy()
    x[:k] *= ramp
    x[-k:] *= ramp[::-1]
    return x


def normalise(x: np.ndarray, peak: float = 10 ** (-1.0 / 20.0)) -> np.ndarray:
    """Scale to `peak` (default -1 dBFS)."""
    m = float(np.max(np.abs(x))) if len(x) else 0.0
    if m <= 0.0 or not np.isfinite(m):
        return x
    return x * (peak / m)


def soft_clip(x: np.ndarray, drive: float = 1.5) -> np.ndarray:
    """Gentle saturation on a peak-normalised signal: lifts the body relative to rare
    peaks (one loud raindrop should not make the whole shower quiet)."""
    x = normalise(x, 1.0)
    return np.tanh(drive * x) / np.tanh(drive)


def log_uniform(rng: np.random.Generator, lo: float, hi: float,
                size: int | tuple[int, ...] | None = None) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def below_nyquist(rate: int, f: np.ndarray | float) -> np.ndarray:
    """Keep partials below Nyquist at low sample rates (16 kHz) so nothing aliases."""
    return np.minimum(f, 0.45 * rate)
