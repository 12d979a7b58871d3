"""Objects and actions: footsteps, doors, glass, metal, engines, birds, whooshes.

Same signature as every family (see families.py): `(rng, duration, rate, words)` to
exactly `n_samples(duration, rate)` samples at any scale; all random detail from `rng`.
"""

from __future__ import annotations

import numpy as np

from . import dsp as d
from .words import has, intensity, speed


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
        modes = d.below_nyquist(rate, np.array([420, 1130, 2310, 3900]) * rng.uniform(0.9, 1.1, 4))
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
    modes = d.below_nyquist(rate, np.array([330, 610, 1050, 1700, 2600]) * rng.uniform(0.85, 1.15, 5))
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
    modes = d.peaks(d.below_nyquist(rate, np.array([1.0, 2.1, 3.7, 5.9]) * low * rng.uniform(0.93, 1.07, 4)),
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
                               d.below_nyquist(rate, f0 * ratios * rng.uniform(0.98, 1.02)), decays,
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
    f = d.below_nyquist(rate, d.log_uniform(rng, 2200, 9000, (m, 1)) * np.array([[1.0, 1.0]]))
    f[:, 1] *= rng.uniform(1.4, 2.7, m)
    f = d.below_nyquist(rate, f)
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
        f = d.below_nyquist(rate, d.log_uniform(rng, 1800, 7000, (m, 1)) * np.array([[1.0, 2.4]]))
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
    f = d.below_nyquist(rate, f0 * ratios)
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
        shing = d.peaks(d.below_nyquist(rate, f[2:6]), 25, np.ones(4))
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
        base = d.log_uniform(rng, 2500, 5500)
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
                fr = d.below_nyquist(rate, fr * rng.uniform(0.97, 1.03))
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
    centres = d.log_uniform(rng, lo, lo * 1.2) * (hi / lo) ** np.linspace(0, 1, 5)
    tc = length * rng.uniform(0.5, 0.65)
    seg = np.zeros(m)
    for i, fc in enumerate(centres):
        band_sig = np.fft.irfft(spec * d.bp(float(d.below_nyquist(rate, fc)), 1.5)(fr), size)[:m]
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
