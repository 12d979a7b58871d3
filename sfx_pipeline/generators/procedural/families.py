"""The natural sound-effect families, the registry of all families, and the trigger table.

Every family is `(rng, duration, rate, words) -> np.ndarray` of exactly
`n_samples(duration, rate)` samples, any scale (synth.py normalises). `words` holds the
prompt's raw words and their stems, for modifiers such as "heavy" or "distant". All random
detail comes from `rng` so a seed change gives a different take of the same sound.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import arcade
from . import dsp as d
from .words import distant, has, intensity, speed, stem

Family = Callable[[np.random.Generator, float, int, frozenset[str]], np.ndarray]


def _log_uniform(rng: np.random.Generator, lo: float, hi: float,
                 size: int | tuple[int, ...] | None = None) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), size))


def _nyq(rate: int, f: np.ndarray | float) -> np.ndarray:
    """Keep partials below Nyquist at low sample rates (16 kHz) so nothing aliases."""
    return np.minimum(f, 0.45 * rate)


# ---------------------------------------------------------------------------------------
# Weather and elements


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
    f = _nyq(rate, _log_uniform(rng, 1400, 5000, (m, 1)))
    grains = d.modal_grains(rate, 0.015, f, rng.uniform(0.002, 0.006, (m, 1)), amps,
                            chirp=rng.uniform(5, 25, m))
    grains[:, 0] += amps[:, 0]
    drops = d.scatter(n, t * rate, grains)
    if has(words, "metal", "tin", "roof", "car", "gutter", "umbrella", "tent"):
        # Drops excite the surface's modes: the ping of a tin roof.
        modes = _nyq(rate, np.array([620, 1150, 1900, 2750, 3900]) * rng.uniform(0.9, 1.1, 5))
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
    f = _nyq(rate, _log_uniform(rng, lo, hi, (m, 1)))
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


# ---------------------------------------------------------------------------------------
# Objects and actions


def footsteps(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    interval = 0.55 / speed(words)
    starts = [rng.uniform(0.05, 0.2)]
    while starts[-1] + interval * 1.05 < duration - 0.12:
        starts.append(starts[-1] + interval * rng.uniform(0.93, 1.07))
    s = np.array(starts)
    m = len(s)
    glen = max(int(0.25 * rate), 8)
    tt = np.arange(glen) / rate
    amp = rng.uniform(0.8, 1.0, (m, 1)) * np.where(np.arange(m) % 2, 0.9, 1.0)[:, None]
    toe = rng.uniform(0.035, 0.07, (m, 1))  # heel strikes first, then the toe rolls down
    thump_f = rng.uniform(70, 110) / k ** 0.5
    thump = np.sin(2 * np.pi * thump_f * tt) * np.exp(-tt / (0.02 * k))
    gravelly = has(words, "gravel", "snow", "sand", "dirt", "grass", "leav", "leaf", "forest", "mud")
    if gravelly:
        # Crunch: a ~150 ms burst of grainy noise (the surface compressing) peppered with
        # louder micro-impacts (stones shifting, ice crystals snapping).
        width = rng.uniform(0.025, 0.04, (m, 1)) * (1.3 if has(words, "snow", "sand") else 1.0)
        x = tt[None, :] / width
        shape = x * np.exp(1.0 - x)
        spikes = (rng.random((m, glen)) < 400.0 / rate) * rng.standard_normal((m, glen)) * 4.0
        crunch = (0.5 * rng.standard_normal((m, glen)) + spikes) * shape
        grains = crunch * amp + 0.3 * thump[None, :] * amp
        body = d.band(500, 5000) if not has(words, "snow") else d.band(300, 2500)
        out = d.filt(d.scatter(n, s * rate, grains), rate, body, pad=0.05)
        return out
    # Hard surfaces: short noise bursts at heel and toe, through the surface's resonances.
    hit = rng.standard_normal((m, glen))
    heel = np.exp(-tt[None, :] / rng.uniform(0.006, 0.012, (m, 1)))
    toe_env = 0.5 * np.exp(-np.clip(tt[None, :] - toe, 0, None) / 0.006) * (tt[None, :] >= toe)
    grains = hit * (heel + toe_env) * amp * (0.6 if k < 1 else 1.0) + thump[None, :] * amp * k
    track = d.scatter(n, s * rate, grains)
    if has(words, "metal", "steel", "iron", "grate", "catwalk"):
        modes = _nyq(rate, np.array([420, 1130, 2310, 3900]) * rng.uniform(0.9, 1.1, 4))
        out = d.filt(track, rate, d.chain(d.hp(150), d.peaks(modes, 60, [1, .8, .6, .4])), pad=0.1)
        return out + 0.15 * track
    if has(words, "wood", "wooden", "floorboard", "plank", "deck", "stair", "cabin"):
        modes = np.array([140, 260, 480, 900]) * rng.uniform(0.9, 1.1, 4)
        out = d.filt(track, rate, d.peaks(modes, 8, [1, .8, .6, .3]), pad=0.05)
        return out + 0.3 * d.filt(track, rate, d.hp(1500), pad=0.01)
    # Stone/concrete/tile: bright and dry with a hint of room.
    out = d.filt(track, rate, d.band(120, 6000), pad=0.05)
    return d.reverb(rng, out, rate, 0.35, wet=0.12)


def _creak(rng: np.random.Generator, n: int, rate: int, t0: float, length: float,
           k: float) -> np.ndarray:
    """Stick-slip friction: a pulse train of wandering rate through wooden body modes."""
    t = d.times(n, rate)
    base = rng.uniform(60, 160) / k
    f = base * np.exp(0.45 * d.slow_noise(rng, n, rate, 2.0)) * (1 + 0.1 * d.white(rng, n))
    env = np.clip((t - t0) / 0.05, 0, 1) * np.clip((t0 + length - t) / 0.1, 0, 1)
    env *= np.clip(0.7 + 0.4 * d.slow_noise(rng, n, rate, 3.0), 0.1, None)
    ph = d.phase_from_freq(f, n, rate)
    pulses = np.zeros(n)
    pulses[1:] = np.diff(np.floor(ph)) * env[1:] * rng.uniform(0.6, 1.0, n - 1)
    modes = _nyq(rate, np.array([330, 610, 1050, 1700, 2600]) * rng.uniform(0.85, 1.15, 5))
    wood = d.chain(d.hp(120), d.peaks(modes, 18, [1.0, 0.9, 0.7, 0.5, 0.3]))
    return d.filt(pulses, rate, wood, pad=0.05) * 8.0


def _wood_hits(rng: np.random.Generator, n: int, rate: int, times: np.ndarray,
               amps: np.ndarray, low: float, q: float = 8.0) -> np.ndarray:
    """Impacts on a wooden panel: a soft ~1.5 ms pulse (knuckle, door edge) with a little
    noise, exciting a few low body modes; mostly thud, with just a hint of click on top."""
    glen = max(int(0.03 * rate), 8)
    m = len(times)
    tt = np.arange(glen) / rate
    width = rng.uniform(0.001, 0.002, (m, 1))
    pulse = np.where(tt[None, :] < width, np.sin(np.pi * tt[None, :] / width), 0.0)
    grit = 0.15 * rng.standard_normal((m, glen)) * np.exp(-tt[None, :] / 0.002)
    track = d.scatter(n, times * rate, (pulse + grit) * amps[:, None])
    modes = d.peaks(_nyq(rate, np.array([1.0, 2.1, 3.7, 5.9]) * low * rng.uniform(0.93, 1.07, 4)),
                    q, [1.0, 0.7, 0.45, 0.25])
    thud, click = d.lp(900.0), d.hp(2500.0)
    body = lambda f: 4.0 * modes(f) + 0.6 * thud(f) + 0.05 * click(f)  # noqa: E731
    return d.filt(track, rate, body, pad=0.1)


def door(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    if has(words, "knock", "tap", "rap", "pound", "bang") and not has(words, "slam"):
        # Groups of 2-4 knocks; a second group if there is time after a pause.
        times: list[float] = []
        start = rng.uniform(0.05, 0.15)
        while (not times or start < duration - 0.4) and len(times) < 40:
            gap = rng.uniform(0.13, 0.2)
            count = int(rng.integers(2, 5))
            times += [start + i * gap * rng.uniform(0.95, 1.05) for i in range(count)]
            start += count * gap + rng.uniform(0.8, 1.4)
        ts = np.array(times)
        amps = rng.uniform(0.7, 1.0, len(ts)) * k
        return d.reverb(rng, _wood_hits(rng, n, rate, ts, amps, rng.uniform(110, 180)), rate, 0.5, 0.15)
    slam_words = has(words, "slam", "shut", "bang", "clos", "close")
    creak_words = has(words, "creak", "squeak", "hinge", "open", "creep")
    out = np.zeros(n)
    t_slam = rng.uniform(0.03, 0.08)
    if creak_words or not slam_words:
        if creak_words and not slam_words:  # a creak on its own may take its time
            length = min(rng.uniform(1.0, 2.5), 0.9 * duration)
        else:  # a creak before the door shuts
            length = min(rng.uniform(0.6, 1.6), 0.85 * duration)
        out += d.normalise(_creak(rng, n, rate, 0.03, length, k), 0.6)
        t_slam = 0.03 + length + 0.05
    if (slam_words or not creak_words) and t_slam < duration - 0.1:
        # Each part is levelled on its own: a slam is louder than the creak before it.
        hard = 1.0 if has(words, "slam", "bang") else 0.6
        thud = _wood_hits(rng, n, rate, np.array([t_slam]), np.array([1.0]), rng.uniform(70, 110), q=5.0)
        llen = max(int(0.03 * rate), 8)
        latch = d.noise(rng, llen, rate, d.band(2500, 9000)) * np.exp(-np.arange(llen) / (0.004 * rate))
        latch_at = (t_slam + rng.uniform(0.01, 0.03)) * rate
        out += d.normalise(thud, hard) + d.normalise(d.scatter(n, np.array([latch_at]), latch[None, :]), 0.2 * hard)
    return d.reverb(rng, out, rate, rng.uniform(0.5, 1.0), wet=0.2)


def glass(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    if has(words, "clink", "toast", "cheer", "tink", "chime", "ding", "tap", "wineglass"):
        # A few clinks: inharmonic modes of a glass rim, long-ringing, with beating pairs.
        out = np.zeros(n)
        times = [rng.uniform(0.02, 0.1)]
        if has(words, "toast", "cheer", "clinking", "clinks") or rng.random() < 0.3:
            times.append(times[0] + rng.uniform(0.25, 0.5))
        f0 = rng.uniform(1800, 3000)
        ratios = np.array([1.0, 1.0015, 2.32, 4.25, 6.63])
        for t0 in times:
            decays = np.array([0.6, 0.6, 0.3, 0.15, 0.08]) * rng.uniform(0.7, 1.3)
            g = d.modal_grains(rate, min(5.0 * decays[0], duration),
                               _nyq(rate, f0 * ratios * rng.uniform(0.98, 1.02)), decays,
                               np.array([1.0, 0.7, 0.4, 0.2, 0.1]))
            out += d.scatter(n, np.array([t0 * rate]), g)
        return out
    # Shatter: an impact, then a cascade of shards whose density decays over time.
    t0 = rng.uniform(0.02, 0.06)
    impact = d.noise(rng, n, rate, d.band(800, 12000)) * d.exp_decay(n, rate, 0.015, t0)
    thud = d.noise(rng, n, rate, d.band(80, 400)) * d.exp_decay(n, rate, 0.03, t0)
    m = int(rng.integers(60, 90) * k)
    ts = t0 + np.concatenate([rng.exponential(0.12, m // 2), rng.exponential(0.35, m - m // 2)])
    ts = ts[ts < duration]
    m = len(ts)
    f = _nyq(rate, _log_uniform(rng, 2200, 9000, (m, 1)) * np.array([[1.0, 1.0]]))
    f[:, 1] *= rng.uniform(1.4, 2.7, m)
    f = _nyq(rate, f)
    decays = rng.uniform(0.006, 0.04, (m, 2)) * np.array([[1.0, 0.6]])
    amps = (rng.pareto(2.0, (m, 1)) + 0.3) * np.array([[1.0, 0.5]]) * np.exp(-(ts - t0) / 0.6)[:, None]
    shards = d.scatter(n, ts * rate, d.modal_grains(rate, 0.06, f, decays, amps))
    sparkle = d.noise(rng, n, rate, d.band(4000, 14000)) * d.exp_decay(n, rate, 0.2, t0) \
        * np.clip((d.times(n, rate) - t0) / 0.01, 0, 1)
    out = 0.8 * impact + 0.5 * thud + 0.25 * shards + 0.12 * sparkle
    return d.reverb(rng, out, rate, 0.8, wet=0.15)


def metal(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    k = intensity(words)
    if has(words, "chain", "rattl", "jingl", "shackl", "key", "chainmail"):
        # Rattling links: bursts of tiny, bright clinks under a slow activity envelope.
        # Mostly moving, with a few short pauses; never a long dead stretch.
        activity = 1.0 / (1.0 + np.exp(-2.5 * (d.slow_noise(rng, n, rate, 2.5) + 0.6)))
        ts = d.poisson_times(rng, 120 * k, duration)
        ts = ts[rng.random(len(ts)) < activity[(ts * rate).astype(int).clip(0, n - 1)]]
        m = len(ts)
        f = _nyq(rate, _log_uniform(rng, 1800, 7000, (m, 1)) * np.array([[1.0, 2.4]]))
        g = d.modal_grains(rate, 0.04, f, rng.uniform(0.004, 0.02, (m, 2)),
                           (rng.pareto(2.5, (m, 1)) + 0.3) * np.array([[1.0, 0.4]]))
        clunks = d.noise(rng, n, rate, d.band(150, 900)) * activity * 0.1
        return d.scatter(n, ts * rate, g) + clunks
    sword = has(words, "sword", "blade", "katana", "clash", "parry", "sabr", "saber", "dagger",
                "knife", "duel", "fencing")
    # Clang: inharmonic partials (free bar/plate modes) with slow beating pairs.
    f0 = rng.uniform(550, 1100) if sword else rng.uniform(180, 520)
    ratios = np.array([1.0, 1.0015, 2.76, 2.765, 5.40, 8.93, 13.34]) * rng.uniform(0.97, 1.03, 7)
    decay = (np.array([1.2, 1.1, 0.7, 0.65, 0.4, 0.25, 0.15])
             * (0.5 if sword else 1.6) * (2.0 if has(words, "bell", "gong", "anvil") else 1.0))
    amps = np.array([1.0, 0.6, 0.7, 0.4, 0.5, 0.3, 0.2])
    hits = [rng.uniform(0.02, 0.06)]
    if has(words, "clashing", "fight", "duel", "battl", "fencing", "swords"):
        while hits[-1] + 0.6 < duration - 0.3 and len(hits) < 12:
            hits.append(hits[-1] + rng.uniform(0.35, 0.8))
    h = len(hits)
    starts = np.array(hits) * rate
    # The same two objects ring at every hit: synthesise the ring once (long, so the most
    # expensive part) and scatter it with per-hit loudness.
    f = _nyq(rate, f0 * ratios)
    ring = d.modal_grains(rate, min(duration, 5.0 * decay.max()), f[None, :],
                          decay[None, :] * rng.uniform(0.8, 1.2, (1, 7)),
                          amps[None, :] * rng.uniform(0.6, 1.0, (1, 7)))
    out = d.scatter(n, starts, ring * rng.uniform(0.6, 1.0, (h, 1)))
    # The hit itself: a bright noise burst; for swords, a scraping "shing" after it.
    blen = max(int(0.05 * rate), 8)
    tb = np.arange(blen) / rate
    bursts = np.stack([d.noise(rng, blen, rate, d.band(2000, 10000)) for _ in range(h)])
    out += 2.0 * d.scatter(n, starts, bursts * np.exp(-tb / 0.006))
    if sword:
        slen = max(int(0.5 * rate), 8)
        ts = np.arange(slen) / rate
        env = np.clip(ts / 0.01, 0, 1) * np.exp(-ts / 0.12)
        shing = d.peaks(_nyq(rate, f[2:6]), 25, np.ones(4))
        scrapes = np.stack([d.noise(rng, slen, rate, shing) * env for _ in range(h)])
        out += 0.5 * d.scatter(n, starts, scrapes)
    return d.reverb(rng, out, rate, 0.9, wet=0.15)


def engine(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    t = d.times(n, rate)
    if has(words, "motorcycl", "motorbik", "bike", "scooter", "dirtbik", "chainsaw"):
        idle = rng.uniform(38, 55)
    elif has(words, "truck", "tractor", "diesel", "bus", "lorry", "boat", "generator", "ship"):
        idle = rng.uniform(16, 22)
    else:
        idle = rng.uniform(24, 34)
    f = idle * (1.0 + 0.03 * d.slow_noise(rng, n, rate, 0.7))
    starting = has(words, "start", "ignition", "crank", "startup")
    crank_end = 0.0
    if has(words, "rev", "accelerat", "race", "racing", "speed", "roar", "zoom", "vroom"):
        # Rev up and settle back: a smooth bump of 2.5-4x the idle firing rate.
        peak_t = rng.uniform(0.3, 0.5) * duration
        width = 0.25 * duration
        f *= 1.0 + rng.uniform(1.5, 3.0) * np.exp(-0.5 * ((t - peak_t) / width) ** 2)
    if starting:
        crank_end = min(rng.uniform(0.6, 1.0), 0.5 * duration)
        f = np.where(t < crank_end, rng.uniform(7, 10), f * (1 + 0.6 * np.exp(-np.clip(t - crank_end, 0, None) / 0.3)))
    ph = d.phase_from_freq(f, n, rate)
    cyc = np.floor(ph).astype(np.int64)
    frac = ph - cyc
    # Firing pulses: sharp attack, exponential decay; a per-cylinder loudness pattern
    # repeating every 4 firings gives the lumpy idle of a real engine.
    pattern = rng.uniform(0.7, 1.0, 4)
    jitter = 1.0 + 0.06 * rng.standard_normal(int(cyc[-1]) + 2)
    pulse = pattern[cyc % 4] * jitter[cyc] * np.exp(-frac * rng.uniform(5, 9))
    pulse -= pulse.mean()
    exhaust_modes = rng.uniform(90, 160) * np.array([1.0, 2.3, 4.1])
    body = d.filt(pulse, rate, d.chain(d.lp(rng.uniform(250, 420), order=2),
                                       d.hp(18)), pad=0.05)
    body += 0.3 * d.filt(pulse, rate, d.peaks(exhaust_modes, 4, [1.0, 0.5, 0.3]), pad=0.05)
    mech = d.noise(rng, n, rate, d.band(700, 4000)) * (0.4 + np.exp(-frac * 6)) * 0.06
    whine = 0.02 * d.osc(f * 7.0, n, rate)
    out = body + mech * (f / idle) ** 0.5 + whine
    if starting:  # the starter motor's whine and the first catch
        starter = 0.15 * d.osc(rng.uniform(250, 400) * (1 + 0.1 * np.sin(2 * np.pi * 9 * t)), n, rate, "saw")
        catch = np.clip((t - crank_end) / 0.05, 0.0, 1.0)  # crossfade, not a hard switch
        out = (1.0 - catch) * (0.5 * out + starter) + catch * out
        out *= np.clip(t / 0.05, 0, 1)
    return out


def birds(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    out = np.zeros(n)
    many = has(words, "flock", "many", "forest", "chorus", "morning", "dawn", "jungle", "park")
    for _ in range(int(rng.integers(3, 6) if many else rng.integers(1, 3))):
        base = _log_uniform(rng, 2500, 5500)
        kind = int(rng.integers(0, 4))  # down-sweep, up-sweep, trill, two-tone
        clen = rng.uniform(0.04, 0.12)
        gap = rng.uniform(0.06, 0.16)
        amp = rng.uniform(0.5, 1.0)
        t = rng.uniform(0.02, 0.4)
        while t < duration - 0.1:
            for _c in range(int(rng.integers(3, 9))):
                length = clen * rng.uniform(0.85, 1.15)
                m = int(length * rate)
                start = int(t * rate)
                if start + m >= n or m < 8:
                    break
                u = np.linspace(0.0, 1.0, m)
                if kind == 0:
                    fr = base * (1.4 - 0.6 * u)
                elif kind == 1:
                    fr = base * (0.7 + 0.6 * u ** 2)
                elif kind == 2:
                    fr = base * (1.0 + 0.12 * np.sin(2 * np.pi * rng.uniform(25, 45) * u * length))
                else:
                    fr = base * np.where(u < 0.5, 1.0, 1.25)
                fr = _nyq(rate, fr * rng.uniform(0.97, 1.03))
                ph = 2 * np.pi * np.cumsum(fr) / rate
                env = np.sin(np.pi * u) ** 2
                out[start:start + m] += amp * env * (np.sin(ph) + 0.08 * np.sin(2 * ph))
                t += length + gap * rng.uniform(0.8, 1.2)
            t += rng.uniform(0.5, 2.0)  # pause between phrases
    if many:
        out += 0.01 * d.noise(rng, n, rate, d.lp(1200), colour=-0.5)
    return out


def whoosh(rng: np.random.Generator, duration: float, rate: int, words: frozenset[str]) -> np.ndarray:
    n = d.n_samples(duration, rate)
    arrow = has(words, "arrow", "bullet", "dart", "projectil", "flyby")
    short = has(words, "swing", "sword", "swish", "whip", "punch", "blade", "quick", "fast")
    length = rng.uniform(0.25, 0.4) if short else rng.uniform(0.4, 0.8)
    if has(words, "slow", "big", "heavy", "larg"):
        length *= 1.6
    length = min(length, 0.9 * duration)
    m = int(length * rate)
    t0 = rng.uniform(0.01, 0.05)
    # The passing object sweeps a band of noise up then down (Doppler): several bands of the
    # same noise, each peaking at a slightly different moment, brightest at closest pass.
    tt = np.arange(m) / rate
    size = d.next_fast_len(m)
    spec = np.fft.rfft(d.noise(rng, size, rate, colour=-0.5))
    fr = np.fft.rfftfreq(size, 1.0 / rate)
    lo, hi = (600.0, 5000.0) if arrow or short else (250.0, 3000.0)
    centres = _log_uniform(rng, lo, lo * 1.2) * (hi / lo) ** np.linspace(0, 1, 5)
    tc = length * rng.uniform(0.5, 0.65)
    seg = np.zeros(m)
    for i, fc in enumerate(centres):
        band_sig = np.fft.irfft(spec * d.bp(float(_nyq(rate, fc)), 1.5)(fr), size)[:m]
        width = length * (0.28 - 0.04 * i)
        seg += band_sig * np.exp(-0.5 * ((tt - tc) / width) ** 2) * (1.0 - 0.1 * i)
    if arrow:  # the fletching's whistle, falling in pitch as it passes
        fw = d.sweep(rng.uniform(900, 1400), rng.uniform(600, 800), m, rate, length=length)
        seg += 0.3 * d.osc(fw, m, rate) * np.exp(-0.5 * ((tt - tc) / (length * 0.2)) ** 2)
    seg *= np.sin(np.pi * np.clip(tt / length, 0, 1))  # exactly silent at both ends
    out = np.zeros(n)
    s = int(t0 * rate)
    out[s:s + m] = seg[: max(0, min(m, n - s))]
    return out


# ---------------------------------------------------------------------------------------
# Registry and trigger table

FAMILIES: dict[str, Family] = {
    "rain": rain, "wind": wind, "fire": fire, "water": water, "thunder": thunder,
    "explosion": explosion, "footsteps": footsteps, "door": door, "glass": glass,
    "metal": metal, "engine": engine, "birds": birds, "whoosh": whoosh,
    "coin": arcade.coin, "laser": arcade.laser, "jump": arcade.jump,
    "powerup": arcade.powerup, "hit": arcade.hit, "blip": arcade.blip,
}

# family -> (strong trigger words, weak trigger words). Weak words are materials or
# ambiguous words: they still classify ("on a metal roof" lists "metal") but rank last
# and do not get their own layer mixed in.
_TRIGGER_WORDS: dict[str, tuple[str, str]] = {
    "rain": ("rain raindrop drizzle downpour rainfall rainstorm raining thunderstorm=0.9",
             "storm shower"),
    "wind": ("wind breeze gust gale blizzard windy blustery howling", "draft blowing howl"),
    "fire": ("fire flame crackle campfire bonfire fireplace burning blaze inferno ember torch",
             "burn"),
    "water": ("water splash wave ocean sea surf stream river brook creek babbling trickle drip "
              "waterfall fountain bubble puddle shore tide gurgle plop underwater faucet",
              "beach lake flow liquid pour droplet leak"),
    "thunder": ("thunder thunderclap lightning thunderstorm", "rumble storm"),
    "explosion": ("explosion explode explosive bomb grenade detonation kaboom dynamite "
                  "gunshot gunfire nuke", "blast boom cannon"),
    "footsteps": ("footstep step walk walking stomp sneak stride march footfall tread", "jog"),
    "door": ("door creak hinge knock slam doorway latch", "squeak gate"),
    "glass": ("glass shatter clink window bottle tinkle", "smash crystal"),
    "metal": ("clash clang chain anvil hammer clank rattle gong parry",
              "sword blade katana metal metallic steel iron bell jingle"),
    "engine": ("engine motor truck motorcycle motorbike vehicle revving idling tractor", "car rev"),
    "birds": ("bird chirp tweet songbird birdsong sparrow robin warble seagull", "crow owl"),
    "whoosh": ("whoosh swoosh swish swing arrow woosh swoop flyby", "whip"),
    "coin": ("coin pickup collect", "money cash gem loot treasure"),
    "laser": ("laser blaster phaser zap pew raygun", "ray"),
    "jump": ("jump hop boing", "bounce spring"),
    "powerup": ("powerup upgrade levelup", "buff"),
    "hit": ("hit punch impact smack slap whack thud bonk", "kick strike thump hurt damage"),
    "blip": ("blip click beep select menu button ui bleep cursor confirm hover", "notification tick"),
}

STRONG = 1.0
WEAK = 0.5
MIX_THRESHOLD = 0.75  # a second family gets its own layer only with a score this high

# stem -> [(family, weight)]. "word=0.9" overrides the weight: a thunderstorm is thunder
# first, but with rain strong enough to be mixed in.
TRIGGERS: dict[str, list[tuple[str, float]]] = {}
for _family, (_strong, _weak) in _TRIGGER_WORDS.items():
    for _words, _default in ((_strong, STRONG), (_weak, WEAK)):
        for _entry in _words.split():
            _w, _, _given = _entry.partition("=")
            TRIGGERS.setdefault(stem(_w), []).append((_family, float(_given) if _given else _default))
