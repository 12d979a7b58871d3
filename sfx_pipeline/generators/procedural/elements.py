"""Weather and elements: rain, wind, fire, water, thunder, explosions.

Same signature as every family (see families.py): `(rng, duration, rate, words)` to
exactly `n_samples(duration, rate)` samples at any scale; all random detail from `rng`.
"""

from __future__ import annotations

import numpy as np

from . import dsp as d
from .words import distant, has, intensity


def rain(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    # The hiss of countless far drops, breathing slowly in density.
    bed = d.noise(rng, n, rate, d.band(500, 9000), colour=-0.3)
    bed *= np.exp(0.2 * d.slow_noise(rng, n, rate, 0.6))
    # Close drops: a click plus a tiny bubble resonance that rises in pitch.
    t = d.poisson_times(rng, 70.0 * k * k, duration)
    m = len(t)
    amps = rng.pareto(2.5, (m, 1)) + 0.2
    f = d.below_nyquist(rate, d.log_uniform(rng, 1400, 5000, (m, 1)))
    grains = d.modal_grains(rate, 0.015, f, rng.uniform(0.002, 0.006, (m, 1)), amps,
                            chirp=rng.uniform(5, 25, m))
    grains[:, 0] += amps[:, 0]
    drops = d.scatter(n, t * rate, grains)
    if has(words, "metal", "tin", "roof", "car", "gutter", "umbrella", "tent"):
        # Drops excite the surface's modes: the ping of a tin roof.
        modes = d.below_nyquist(rate, np.array([620, 1150, 1900, 2750, 3900]) * rng.uniform(0.9, 1.1, 5))
        drops = d.filt(drops, rate, d.peaks(modes, 40, np.ones(5)), pad=0.1) * 3 + drops
    out = 0.55 * bed + 0.08 * drops
    if k > 1.2:  # a downpour has a low roar underneath
        out += 0.25 * d.noise(rng, n, rate, d.lp(350), colour=-1.0)
    if distant(words):
        out = d.filt(out, rate, d.lp(1500), pad=0.0)
    return out


def wind(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    stormy = has(words, "storm", "howl", "gale", "blizzard", "hurricane", "strong", "whistl")
    # Gust strength: slow random curve. Higher bands track it more steeply so the wind's
    # "pitch" rises with its speed, as real wind noise does.
    gust = d.slow_noise(rng, n, rate, 0.3 * (1.6 if stormy else 1.0))
    # Squashed into 0.3..1.1 so lulls stay audible rather than dropping out.
    strength = 0.3 + 0.8 / (1.0 + np.exp(-1.5 * gust - 0.3 * d.slow_noise(rng, n, rate, 1.1)))
    low = d.noise(rng, n, rate, d.band(50, 400), colour=-1.0) * strength
    centre = rng.uniform(500, 900)
    mid = d.noise(rng, n, rate, d.bp(centre, 1.2), colour=-0.5) * strength ** 2
    high = d.noise(rng, n, rate, d.bp(centre * 2.6, 2.0)) * strength ** 3
    out = 0.8 * low + 0.6 * mid + 0.25 * k * high
    if stormy or rng.random() < 0.5:  # a whistle through a gap, fading with the gusts
        fw = rng.uniform(700, 1600)
        out += (0.5 if stormy else 0.2) * d.noise(rng, n, rate, d.bp(fw, 30)) * strength ** 3
    if distant(words):
        out = d.filt(out, rate, d.lp(800), pad=0.0)
    return out


def fire(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    roar = d.noise(rng, n, rate, d.lp(300 * k), colour=-1.0)
    roar *= np.exp(0.35 * d.slow_noise(rng, n, rate, 3.0))  # flicker; exp keeps it positive
    hiss = d.noise(rng, n, rate, d.band(2500, 9000)) * np.exp(0.4 * d.slow_noise(rng, n, rate, 6.0))
    # Crackles: tiny noise bursts, Pareto loudness so a few stand out; they come in
    # clusters (wood splitting), hence a modulated Poisson rate via thinning.
    t = d.poisson_times(rng, 70.0 * k, duration)
    cluster = np.clip(1.0 + d.slow_noise(rng, n, rate, 2.0), 0.0, None)
    t = t[rng.random(len(t)) < 0.5 * cluster[(t * rate).astype(int).clip(0, n - 1)]]
    m = len(t)
    glen = max(int(0.006 * rate), 4)
    env = np.exp(-np.arange(glen)[None, :] / (rng.uniform(0.0003, 0.0015, (m, 1)) * rate))
    # Loudness capped: one freak crackle must not set the level of the whole clip.
    grains = rng.standard_normal((m, glen)) * env * np.minimum(rng.pareto(2.0, (m, 1)) + 0.3, 3.0)
    crackle = d.filt(d.scatter(n, t * rate, grains), rate, d.hp(900), pad=0.01)
    # Pops: rarer, lower, resonant (a pocket of sap bursting).
    tp = d.poisson_times(rng, 2.0 * k, duration)
    p = len(tp)
    pops = d.modal_grains(rate, 0.04, rng.uniform(250, 700, (p, 1)),
                          rng.uniform(0.004, 0.012, (p, 1)), rng.uniform(0.5, 1.2, (p, 1)))
    out = 0.35 * roar + 0.05 * hiss + 0.5 * crackle + 0.5 * d.scatter(n, tp * rate, pops)
    return d.soft_clip(out, 2.5)


def _bubbles(rng: np.random.Generator, n: int, rate: int, times: np.ndarray, lo: float,
             hi: float, amp: float = 1.0, ring: float = 1.0) -> np.ndarray:
    """Van den Doel style bubbles: damped sine whose pitch rises as the bubble shrinks."""
    m = len(times)
    f = d.below_nyquist(rate, d.log_uniform(rng, lo, hi, (m, 1)))
    decay = ring * 0.008 * (600.0 / f) ** 0.6  # smaller bubbles ring shorter
    grains = d.modal_grains(rate, min(0.06 * ring, 0.3), f, decay,
                            amp * (rng.pareto(3.0, (m, 1)) + 0.3), chirp=rng.uniform(4, 16, m))
    return d.scatter(n, times * rate, grains)


def water(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    t = d.times(n, rate)
    if has(words, "drip", "droplet", "faucet", "leak", "drop") and not has(words, "splash"):
        # Single drops falling into water: a ringing "plink" at a roughly steady rate, in a
        # sink or cave (hence the reverb).
        interval = rng.uniform(0.25, 0.8)
        ts = np.arange(rng.uniform(0.02, 0.15), duration, interval)
        ts = ts + rng.normal(0.0, 0.04 * interval, len(ts)).clip(0.0, None)
        plinks = _bubbles(rng, n, rate, ts, 700, 1800, ring=4.0)
        return d.reverb(rng, plinks, rate, rng.uniform(0.6, 1.5), wet=0.3)
    if has(words, "splash", "plop", "dive", "cannonball", "plunge", "splosh"):
        t0 = rng.uniform(0.02, 0.08)
        big = k * rng.uniform(0.8, 1.2)
        burst = d.noise(rng, n, rate, d.band(250, 7000)) * d.exp_decay(n, rate, 0.07 * big, t0)
        burst *= np.clip((t - t0) / 0.004, 0, 1)
        plop = _bubbles(rng, n, rate, np.array([t0 + 0.005]), 180 / big, 350 / big, 6.0)
        # Water falling back: a shower of small bubbles and drops after the impact.
        tb = t0 + rng.exponential(0.25 * big, int(60 * big))
        drops = _bubbles(rng, n, rate, tb[tb < duration], 600, 3000)
        out = burst + plop + 0.6 * drops
        return d.reverb(rng, out, rate, 0.6, wet=0.15)
    if has(words, "wav", "ocean", "sea", "surf", "shore", "beach", "tide", "coast"):
        # Each wave: a slow swell of low roar, then a bright crash that fizzles out.
        period = rng.uniform(4.5, 8.0)
        first = rng.uniform(0.3, max(0.31, min(2.0, 0.6 * duration)))
        count = int(duration / period) + 2
        crests = first + period * np.arange(count) + rng.uniform(-0.7, 0.7, count)
        swell = np.full(n, 0.12)
        crash = np.zeros(n)
        for c in crests:
            dt = t - c
            swell += np.exp(-0.5 * (dt / 1.2) ** 2)
            crash += np.where(dt > 0, (1 - np.exp(-dt / 0.15)) * np.exp(-dt / 1.4), 0.0)
        low = d.noise(rng, n, rate, d.lp(500), colour=-1.0) * swell
        high = d.noise(rng, n, rate, d.band(800, 9000), colour=-0.3) * crash
        return 0.6 * low + 0.45 * high
    # Default: a stream/brook: pink noise bed plus a steady babble of bubbles.
    bed = d.noise(rng, n, rate, d.band(200, 4000), colour=-0.5)
    bed *= np.exp(0.25 * d.slow_noise(rng, n, rate, 3.0))
    tb = d.poisson_times(rng, 140.0 * k, duration)
    out = 0.15 * bed + 0.5 * _bubbles(rng, n, rate, tb, 350, 2200)
    if has(words, "waterfall", "torrent", "rapid", "river"):
        out += 0.4 * d.noise(rng, n, rate, d.band(100, 6000), colour=-0.5)
    return out


def thunder(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    far = distant(words)
    out = np.zeros(n)
    # Long clips get more than one strike, each at its own distance.
    strikes = [rng.uniform(0.02, 0.12)]
    while strikes[-1] + 9.0 < duration:
        strikes.append(strikes[-1] + rng.uniform(7.0, 14.0))
    for i, t0 in enumerate(strikes):
        near = (not far) and (i == 0 or rng.random() < 0.5)
        length = min(max(duration - t0, 0.3), rng.uniform(3.0, 6.0))
        # Work on this strike's stretch only: long clips stay cheap.
        s0 = int(t0 * rate)
        m = min(n - s0, int(2.5 * length * rate) + 1)
        if m < 8:
            continue
        t = np.arange(m) / rate
        # Rumble: brown noise under an envelope of rolling lobes (echoes off terrain).
        env = 0.5 * np.clip(t / 0.05, 0, 1) * np.exp(-t / (length * 0.35))
        for _ in range(rng.integers(4, 8)):
            c = min(rng.exponential(length * 0.25), length)
            x = np.clip((t - c) / rng.uniform(0.15, 0.6), 0, None)
            env += rng.uniform(0.4, 1.0) * x * np.exp(1 - x) * np.exp(-c / length)
        cutoff = rng.uniform(150, 250) if near else rng.uniform(90, 160)
        seg = d.noise(rng, m, rate, d.lp(cutoff, order=2), colour=-1.0) * env
        # Higher rumble (the part laptop speakers can play), following the same rolls.
        seg += 0.25 * d.noise(rng, m, rate, d.band(120, 900), colour=-0.5) * env
        if near:  # the crack of a close strike: a few ragged bursts within 200 ms
            clen = min(m, int(0.6 * rate))
            tc = t[:clen]
            for _ in range(rng.integers(2, 5)):
                crack = d.noise(rng, clen, rate, d.band(200, 4000), colour=-0.5)
                at = rng.uniform(0, 0.2)
                seg[:clen] += (rng.uniform(0.25, 0.5) * crack * (tc >= at)
                               * np.exp(-np.clip(tc - at, 0, None) / rng.uniform(0.03, 0.08)))
        out[s0:s0 + m] += seg
    return out


def explosion(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    gun = has(words, "gun", "gunshot", "shot", "pistol", "rifle", "gunfire", "cannon")
    scale = (0.25 if gun else 1.0) * k
    t0 = rng.uniform(0.01, 0.03)
    t = d.times(n, rate)
    attack = np.clip((t - t0) / 0.003, 0, 1)
    # Sub boom: a sine that drops in pitch as the pressure wave expands.
    f = d.sweep(rng.uniform(60, 80) / k ** 0.5, rng.uniform(25, 35), n, rate, length=0.6 * scale)
    boom = d.osc(f, n, rate) * d.exp_decay(n, rate, 0.35 * scale, t0) * attack
    body = d.noise(rng, n, rate, d.lp(rng.uniform(400, 700), order=2), colour=-1.0)
    body *= d.exp_decay(n, rate, rng.uniform(0.4, 0.8) * scale, t0) * attack
    mid = d.noise(rng, n, rate, d.band(200, 2500)) * d.exp_decay(n, rate, 0.1 * scale, t0) * attack
    crack = d.white(rng, n) * d.exp_decay(n, rate, 0.008, t0)
    out = 0.9 * boom + 1.0 * body + 0.5 * mid + 0.25 * crack
    if not gun:  # debris pattering down afterwards
        td = t0 + 0.15 + rng.exponential(0.6 * k, int(40 * k))
        td = td[td < duration]
        m = len(td)
        glen = max(int(0.01 * rate), 4)
        grains = rng.standard_normal((m, glen)) * np.exp(-np.arange(glen) / (0.002 * rate))
        debris = d.scatter(n, td * rate, grains * rng.uniform(0.02, 0.1, (m, 1)))
        out += d.filt(debris, rate, d.band(800, 6000), pad=0.01)
    if distant(words):
        out = d.filt(out, rate, d.lp(500, order=2), pad=0.2)
    out = d.reverb(rng, out, rate, rng.uniform(1.2, 2.2) * (0.6 if gun else 1.0), wet=0.3, damp_hz=3000)
    return d.soft_clip(out, 2.0)
