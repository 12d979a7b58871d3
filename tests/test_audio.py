"""Audio stages on real signals and real WAV bytes: RIFF layout, PCM, level, fades, rate, provenance."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sfx_pipeline.audio import fades, level, provenance, resample
from sfx_pipeline.audio.quantize import from_pcm, to_pcm
from sfx_pipeline.audio.render import render
from sfx_pipeline.audio.signal import Signal, db_to_gain
from sfx_pipeline.audio.wav import Loop, WavError, WavFile, decode, encode
from sfx_pipeline.hashing import digest
from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec


def sine(freq: float, rate: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(round(rate * seconds))) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def walk(data: bytes, offset: int, end: int) -> list[tuple[str, int, int]]:
    """(id, size, body offset) of every chunk from `offset`, checking that the chunks
    tile the region exactly, with a zero pad byte after each odd-sized body."""
    chunks = []
    while offset < end:
        chunk_id = data[offset:offset + 4].decode("ascii")
        size = struct.unpack_from("<I", data, offset + 4)[0]
        chunks.append((chunk_id, size, offset + 8))
        offset += 8 + size
        if size % 2:
            assert data[offset:offset + 1] == b"\x00", f"pad byte after {chunk_id!r} is not zero"
            offset += 1
    assert offset == end, "chunks do not end exactly at the end of their container"
    return chunks


# WAV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bit_depth, tolerance_lsb", [(16, 1.5), (24, 0.5)])
def test_wav_round_trip(bit_depth: int, tolerance_lsb: float) -> None:
    samples = sine(440.0, 48000, 0.1, amplitude=0.8)
    pcm = to_pcm(samples, bit_depth, seed=3)
    wav = decode(encode(WavFile(48000, bit_depth, 1, pcm)))

    assert (wav.rate, wav.bit_depth, wav.channels) == (48000, bit_depth, 1)
    assert wav.frames == len(samples) == 4800
    assert wav.pcm == pcm
    lsb = 2.0 ** (bit_depth - 1)
    error = (wav.samples().astype(np.float64) - samples.astype(np.float64)) * lsb
    assert np.max(np.abs(error)) <= tolerance_lsb


def test_fmt_chunk_fields() -> None:
    data = encode(WavFile(44100, 24, 1, b"\x00" * 30))
    chunks = {cid: (size, at) for cid, size, at in walk(data, 12, len(data))}
    size, at = chunks["fmt "]
    assert size == 16
    assert struct.unpack_from("<HHIIHH", data, at) == (1, 1, 44100, 44100 * 3, 3, 24)


def test_riff_layout_with_every_chunk_and_odd_sizes() -> None:
    pcm = to_pcm(sine(100.0, 8000, 0.01), 24, seed=0)  # 80 frames
    pcm = pcm[:-3]  # 79 frames of 3 bytes: an odd-sized data chunk
    info = {"INAM": "ab", "ICMT": "seed=1", "ISFT": "sfx-pipeline"}  # "ab\0" is 3 bytes: odd
    data = encode(WavFile(8000, 24, 1, pcm, loops=[Loop(0, 78)], cues=[5], info=info))

    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    assert len(data) % 2 == 0
    top = walk(data, 12, len(data))
    assert [cid for cid, _, _ in top] == ["fmt ", "cue ", "smpl", "LIST", "data"]
    data_size, data_at = top[-1][1], top[-1][2]
    assert data_size == len(pcm) == 237  # the size field keeps the unpadded length
    assert data[data_at:data_at + data_size] == pcm

    _, list_size, list_at = top[3]
    assert data[list_at:list_at + 4] == b"INFO"
    inner = walk(data, list_at + 4, list_at + list_size)
    assert [(cid, size) for cid, size, _ in inner] == [("INAM", 3), ("ICMT", 7), ("ISFT", 13)]

    wav = decode(data)
    assert wav.chunk_ids == ["fmt ", "cue ", "smpl", "LIST", "data"]
    assert wav.pcm == pcm and wav.frames == 79
    assert wav.info == info


def test_decode_skips_unknown_chunks() -> None:
    data = encode(WavFile(48000, 16, 1, b"\x01\x00\x02\x00", info={"INAM": "x"}))
    # put a foreign odd-sized chunk (as other tools write) in front of data
    at = data.index(b"data")
    foreign = b"junk" + struct.pack("<I", 3) + b"xyz\x00"
    body = data[12:at] + foreign + data[at:]
    patched = b"RIFF" + struct.pack("<I", len(body) + 4) + b"WAVE" + body
    wav = decode(patched)
    assert wav.chunk_ids == ["fmt ", "LIST", "junk", "data"]
    assert wav.pcm == b"\x01\x00\x02\x00"
    assert wav.info == {"INAM": "x"}


def test_smpl_loops_and_cue_points_round_trip() -> None:
    loops = [Loop(0, 47999), Loop(1200, 3599)]
    cues = [0, 480, 24000]
    data = encode(WavFile(48000, 16, 1, b"\x00\x00" * 48000, loops=loops, cues=cues))
    wav = decode(data)
    assert wav.loops == loops
    assert wav.cues == cues

    chunks = {cid: (size, at) for cid, size, at in walk(data, 12, len(data))}
    size, at = chunks["smpl"]
    assert size == 36 + 24 * len(loops)
    head = struct.unpack_from("<9I", data, at)
    assert head[2] == 20833  # sample period in ns at 48 kHz
    assert head[7] == len(loops)
    size, at = chunks["cue "]
    assert size == 4 + 24 * len(cues)
    assert struct.unpack_from("<I", data, at)[0] == len(cues)


def test_info_text_round_trips_unicode() -> None:
    info = {
        "INAM": "Tür knarrt — 木の扉がきしむ 🚪",
        "ICMT": "seed=42\nbackend=procedural\nrender=abc123",
        "ISFT": "sfx-pipeline",
    }
    assert decode(encode(WavFile(48000, 16, 1, b"\x00\x00", info=info))).info == info


def test_info_subchunks_are_in_a_fixed_order() -> None:
    info = {"ZZZZ": "last", "ISFT": "sw", "ICMT": "comment", "INAM": "name"}
    data = encode(WavFile(48000, 16, 1, b"", info=info))
    assert list(decode(data).info) == ["INAM", "ICMT", "ISFT", "ZZZZ"]


def test_encoding_is_deterministic() -> None:
    wav = WavFile(48000, 16, 1, b"\x01\x02" * 10, loops=[Loop(1, 5)], cues=[2], info={"INAM": "x"})
    assert encode(wav) == encode(wav)


@pytest.mark.parametrize("junk", [b"", b"RIFF", b"RIFF\x04\x00\x00\x00WAVX", b"not a wav file at all"])
def test_decode_rejects_non_wav(junk: bytes) -> None:
    with pytest.raises(WavError):
        decode(junk)


def test_decode_rejects_a_truncated_chunk() -> None:
    data = encode(WavFile(48000, 16, 1, b"\x00\x00" * 100))
    with pytest.raises(WavError):
        decode(data[:-10])


def test_decode_rejects_float_wavs() -> None:
    data = bytearray(encode(WavFile(48000, 16, 1, b"\x00\x00")))
    struct.pack_into("<H", data, data.index(b"fmt ") + 8, 3)  # WAVE_FORMAT_IEEE_FLOAT
    with pytest.raises(WavError):
        decode(bytes(data))


def wav_with_lying_smpl() -> bytes:
    """A WAV whose smpl chunk claims three loops but holds one (written by some other tool)."""
    data = bytearray(encode(WavFile(48000, 16, 1, b"\x00\x00" * 10, loops=[Loop(1, 5)])))
    struct.pack_into("<I", data, data.index(b"smpl") + 8 + 28, 3)
    return bytes(data)


def test_decode_reports_a_malformed_smpl_chunk_as_wav_error() -> None:
    with pytest.raises(WavError):
        decode(wav_with_lying_smpl())


def test_render_key_of_a_wav_with_a_malformed_chunk_is_none(tmp_path: Path) -> None:
    path = tmp_path / "foreign.wav"
    path.write_bytes(wav_with_lying_smpl())
    assert provenance.render_key_in(path) is None


# quantisation ---------------------------------------------------------------------------


def test_24_bit_negative_values_decode_correctly() -> None:
    values = np.array([-1.0, -0.5, -1.0 / 2**23, 0.0, 1.0 / 2**23, 0.5, 0.25], dtype=np.float32)
    pcm = to_pcm(values, 24, seed=0)
    assert len(pcm) == 3 * len(values)
    assert pcm[:3] == b"\x00\x00\x80"  # -2**23, little-endian
    assert pcm[3:6] == b"\x00\x00\xc0"  # -2**22
    assert pcm[6:9] == b"\xff\xff\xff"  # -1
    np.testing.assert_array_equal(from_pcm(pcm, 24), values)


def test_24_bit_full_scale_positive_clips_to_the_largest_code() -> None:
    pcm = to_pcm(np.array([1.0, 2.0, -2.0], dtype=np.float32), 24, seed=0)
    assert pcm == b"\xff\xff\x7f" + b"\xff\xff\x7f" + b"\x00\x00\x80"


def test_16_bit_clips_at_full_scale() -> None:
    values = np.array([1.0, 1.5, -1.0, -1.5] * 100, dtype=np.float32)
    ints = np.frombuffer(to_pcm(values, 16, seed=9), dtype="<i2")
    assert set(ints[0::4]) | set(ints[1::4]) <= {32766, 32767}
    assert set(ints[1::4]) == {32767}
    assert set(ints[3::4]) == {-32768}
    assert ints.min() >= -32768 and ints.max() <= 32767


def test_16_bit_dither_is_reproducible_per_seed() -> None:
    samples = sine(997.0, 48000, 0.5, amplitude=0.3)
    first = to_pcm(samples, 16, seed=42)
    assert to_pcm(samples, 16, seed=42) == first
    assert to_pcm(samples, 16, seed=43) != first


def test_16_bit_dither_error_is_bounded_and_zero_mean() -> None:
    rng = np.random.default_rng(0)
    samples = (rng.uniform(-0.9, 0.9, 200_000)).astype(np.float32)
    ints = np.frombuffer(to_pcm(samples, 16, seed=5), dtype="<i2").astype(np.float64)
    error = ints - samples.astype(np.float64) * 32768.0
    assert np.max(np.abs(error)) <= 1.5  # triangular dither (< 1 LSB) plus rounding (0.5 LSB)
    assert abs(np.mean(error)) < 0.01
    # TPDF makes the total error power signal-independent: 1/6 (dither) + 1/12 (rounding)
    assert 0.48 < np.std(error) < 0.52
    assert np.max(np.abs(error)) > 1.0  # triangular dither reaches past one LSB, rectangular never does


def test_16_bit_dither_actually_dithers() -> None:
    """A level below half an LSB would round to silence without dither; with it, the
    average of the output still carries the signal."""
    quarter_lsb = np.full(100_000, 0.25 / 32768.0, dtype=np.float32)
    ints = np.frombuffer(to_pcm(quarter_lsb, 16, seed=1), dtype="<i2")
    assert len(set(ints.tolist())) > 1
    assert abs(float(np.mean(ints)) - 0.25) < 0.02


def test_24_bit_is_not_dithered() -> None:
    samples = sine(997.0, 48000, 0.1)
    assert to_pcm(samples, 24, seed=1) == to_pcm(samples, 24, seed=2)


def test_unsupported_bit_depth_is_refused() -> None:
    with pytest.raises(ValueError):
        to_pcm(np.zeros(4, dtype=np.float32), 8, seed=0)


# fades ----------------------------------------------------------------------------------


def test_fades_ramp_both_ends_and_leave_the_middle_alone() -> None:
    signal = Signal(np.full(1000, 0.8, dtype=np.float32), 1000)
    out = fades.fade(signal, fade_in=0.1, fade_out=0.2).samples

    assert len(out) == 1000
    assert out[0] == 0.0
    assert out[-1] == 0.0
    np.testing.assert_array_equal(out[100:800], np.full(700, 0.8, dtype=np.float32))
    assert np.all(np.diff(out[:100]) >= 0) and out[99] == pytest.approx(0.8)
    assert np.all(np.diff(out[800:]) <= 0) and out[800] == pytest.approx(0.8)
    assert 0.0 < out[50] < 0.8
    np.testing.assert_array_equal(signal.samples, np.full(1000, 0.8, dtype=np.float32))  # input untouched


def test_fade_shape_is_symmetric_in_and_out() -> None:
    signal = Signal(np.ones(400, dtype=np.float32), 1000)
    out = fades.fade(signal, fade_in=0.1, fade_out=0.1).samples
    np.testing.assert_allclose(out[:100], out[-100:][::-1], atol=1e-7)


def test_no_fades_is_the_same_signal() -> None:
    signal = Signal(sine(100.0, 1000, 0.5), 1000)
    out = fades.fade(signal, fade_in=0.0, fade_out=0.0)
    np.testing.assert_array_equal(out.samples, signal.samples)


def test_fade_longer_than_the_signal_is_clamped() -> None:
    signal = Signal(np.ones(50, dtype=np.float32), 1000)
    out = fades.fade(signal, fade_in=1.0, fade_out=0.0).samples
    assert len(out) == 50 and out[0] == 0.0 and np.all(np.diff(out) >= 0)


# level ----------------------------------------------------------------------------------


def peak_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.max(np.abs(samples.astype(np.float64)))))


@pytest.mark.parametrize("target", [-1.0, -6.0, -20.0, 0.0])
def test_normalize_peak_hits_the_target(target: float) -> None:
    samples = sine(300.0, 8000, 0.2, amplitude=0.1)
    samples[123] = -0.37  # the peak is negative
    out = level.normalize_peak(Signal(samples, 8000), target)
    assert abs(peak_db(out.samples) - target) <= 0.01
    assert np.argmax(np.abs(out.samples)) == 123
    assert out.rate == 8000


def test_normalize_peak_leaves_silence_silent() -> None:
    out = level.normalize_peak(Signal(np.zeros(1000, dtype=np.float32), 8000), -1.0)
    assert np.all(out.samples == 0.0)


def test_normalize_peak_of_an_empty_signal() -> None:
    out = level.normalize_peak(Signal(np.zeros(0, dtype=np.float32), 8000), -1.0)
    assert len(out.samples) == 0


def test_apply_gain() -> None:
    samples = sine(300.0, 8000, 0.1, amplitude=0.25)
    out = level.apply_gain(Signal(samples, 8000), -6.0).samples
    np.testing.assert_allclose(out, samples * 10 ** (-6 / 20), rtol=1e-6)
    assert abs(peak_db(out) - (peak_db(samples) - 6.0)) < 1e-4
    up = level.apply_gain(Signal(samples, 8000), 6.0).samples
    assert abs(peak_db(up) - (peak_db(samples) + 6.0)) < 1e-4


def test_db_to_gain() -> None:
    assert db_to_gain(0.0) == 1.0
    assert db_to_gain(-20.0) == pytest.approx(0.1)
    assert db_to_gain(6.0) == pytest.approx(1.9953, abs=1e-4)


# resampling -----------------------------------------------------------------------------


def test_resample_16k_to_48k_keeps_frequency_and_amplitude() -> None:
    signal = Signal(sine(1000.0, 16000, 1.0, amplitude=0.5), 16000)
    out = resample.resample(signal, 48000)

    assert out.rate == 48000
    assert len(out.samples) == 3 * len(signal.samples)
    assert out.samples.dtype == np.float32

    spectrum = np.abs(np.fft.rfft(out.samples.astype(np.float64)))
    freqs = np.fft.rfftfreq(len(out.samples), 1 / 48000)
    assert freqs[np.argmax(spectrum)] == pytest.approx(1000.0, abs=1.0)

    middle = out.samples[4800:-4800].astype(np.float64)  # away from the filter's edges
    rms_db = 20 * np.log10(np.sqrt(np.mean(middle**2)))
    assert abs(rms_db - 20 * np.log10(0.5 / np.sqrt(2))) < 0.5


def test_downsampling_removes_content_above_the_new_nyquist() -> None:
    """A 10 kHz tone cannot exist at 16 kHz: it must be filtered out, not folded to 6 kHz."""
    mix = sine(1000.0, 48000, 1.0, amplitude=0.5) + sine(10000.0, 48000, 1.0, amplitude=0.4)
    out = resample.resample(Signal(mix, 48000), 16000)
    assert out.rate == 16000 and len(out.samples) == 16000
    spectrum = np.abs(np.fft.rfft(out.samples.astype(np.float64) * np.hanning(len(out.samples))))
    freqs = np.fft.rfftfreq(len(out.samples), 1 / 16000)
    at = lambda hz: spectrum[np.argmin(np.abs(freqs - hz))]  # noqa: E731
    assert 20 * np.log10(at(6000.0) / at(1000.0)) < -80


def test_resample_to_the_same_rate_is_unchanged() -> None:
    signal = Signal(sine(1000.0, 48000, 0.1), 48000)
    out = resample.resample(signal, 48000)
    np.testing.assert_array_equal(out.samples, signal.samples)
    assert out.rate == 48000


def test_fit_length_truncates_exactly() -> None:
    samples = np.arange(1000, dtype=np.float32)
    out = resample.fit_length(Signal(samples, 1000), 0.25)
    np.testing.assert_array_equal(out.samples, samples[:250])
    assert out.rate == 1000


def test_fit_length_pads_with_silence_exactly() -> None:
    samples = np.arange(1, 101, dtype=np.float32)
    out = resample.fit_length(Signal(samples, 1000), 0.3)
    assert len(out.samples) == 300
    np.testing.assert_array_equal(out.samples[:100], samples)
    assert np.all(out.samples[100:] == 0.0)
    assert out.samples.dtype == np.float32


def test_fit_length_rounds_seconds_to_whole_samples() -> None:
    out = resample.fit_length(Signal(np.ones(10, dtype=np.float32), 48000), 1.0 / 3)
    assert len(out.samples) == 16000


# render and provenance ------------------------------------------------------------------

RENDER_KEY = digest("render fields")


def make_spec(**output: object) -> SoundSpec:
    params = dict(sample_rate=48000, bit_depth=16, gain_db=None, peak_db=-1.0, fade_in=0.01, fade_out=0.05)
    params.update(output)
    return SoundSpec(
        name="door_open",
        descriptor="sfx/door_open.sfx.toml",
        entry="",
        prompt="wooden door creaking open — Tür",
        duration=0.5,
        seed=42,
        backend="procedural",
        model="",
        generation=GenerationParams(temperature=1.0, top_k=250, top_p=0.0, cfg_coef=3.0),
        output=OutputParams(**params),  # type: ignore[arg-type]
        output_path="audio/door_open.wav",
    )


def rendered(tmp_path: Path, spec: SoundSpec | None = None) -> Path:
    spec = spec or make_spec()
    audio = sine(1000.0, 16000, 0.6, amplitude=0.3)  # model rate and length differ from the output's
    trace = {"seed": "42", "backend": "procedural", "generation": digest("gen"), "render": RENDER_KEY}
    path = tmp_path / "door_open.wav"
    path.write_bytes(render(audio, 16000, spec, dither_seed=42, trace=trace).data)
    return path


@pytest.mark.parametrize("bit_depth", [16, 24])
def test_render_produces_the_requested_format(tmp_path: Path, bit_depth: int) -> None:
    spec = make_spec(bit_depth=bit_depth)
    wav = decode(rendered(tmp_path, spec).read_bytes())
    assert (wav.rate, wav.bit_depth, wav.channels) == (48000, bit_depth, 1)
    assert wav.frames == 24000  # exactly duration × output rate
    samples = wav.samples()
    assert abs(peak_db(samples) - (-1.0)) < 0.05
    # faded to zero at both ends; 16-bit dither may leave at most one LSB of noise there
    lsb = 1.0 / 2 ** (bit_depth - 1) if bit_depth == 16 else 0.0
    assert abs(samples[0]) <= lsb and abs(samples[-1]) <= lsb
    assert np.max(np.abs(samples[-10:])) < 0.001 < np.max(np.abs(samples[-2000:]))


def test_render_is_deterministic(tmp_path: Path) -> None:
    first = rendered(tmp_path).read_bytes()
    assert rendered(tmp_path).read_bytes() == first


def test_render_with_fixed_gain(tmp_path: Path) -> None:
    spec = make_spec(gain_db=-6.0, peak_db=None, bit_depth=24)
    samples = decode(rendered(tmp_path, spec).read_bytes()).samples()
    assert abs(peak_db(samples) - (20 * np.log10(0.3) - 6.0)) < 0.1


def test_rendered_wav_carries_provenance(tmp_path: Path) -> None:
    wav = decode(rendered(tmp_path).read_bytes())
    assert wav.info["INAM"] == "wooden door creaking open — Tür"
    assert wav.info["ISFT"] == "sfx-pipeline"
    lines = wav.info["ICMT"].splitlines()
    assert f"render={RENDER_KEY}" in lines
    assert "seed=42" in lines
    assert f"pcm={digest(wav.pcm)}" in lines
    assert wav.chunk_ids == ["fmt ", "LIST", "data"]


def test_render_key_in_reads_our_own_wav(tmp_path: Path) -> None:
    path = rendered(tmp_path)
    assert provenance.render_key_in(path) == RENDER_KEY
    assert provenance.read(path)["backend"] == "procedural"


def test_render_key_is_gone_once_the_audio_is_edited(tmp_path: Path) -> None:
    """An editor that keeps the metadata chunks but changes the samples."""
    path = rendered(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.index(b"data") + 8 + 1000
    data[at] ^= 0x01
    path.write_bytes(bytes(data))

    wav = decode(path.read_bytes())
    assert f"render={RENDER_KEY}" in wav.info["ICMT"].splitlines()  # still there, but not trusted
    assert provenance.render_key_in(path) is None
    assert provenance.read(path) == {}


def test_render_key_of_a_wav_without_our_software_tag_is_none(tmp_path: Path) -> None:
    pcm = to_pcm(sine(1000.0, 48000, 0.1), 16, seed=0)
    info = {"INAM": "door", "ICMT": f"render={RENDER_KEY}\npcm={digest(pcm)}"}  # all but ISFT
    path = tmp_path / "other.wav"
    path.write_bytes(encode(WavFile(48000, 16, 1, pcm, info=info)))
    assert provenance.render_key_in(path) is None

    path.write_bytes(encode(WavFile(48000, 16, 1, pcm, info={**info, "ISFT": "Audacity"})))
    assert provenance.render_key_in(path) is None

    path.write_bytes(encode(WavFile(48000, 16, 1, pcm, info={**info, "ISFT": provenance.SOFTWARE})))
    assert provenance.render_key_in(path) == RENDER_KEY  # the same file, tagged as ours


@pytest.mark.parametrize("content", [None, b"", b"not a wav", b"RIFF\x00\x00\x00\x00WAVE"])
def test_render_key_of_missing_or_junk_files_is_none(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "x.wav"
    if content is not None:
        path.write_bytes(content)
    assert provenance.render_key_in(path) is None


def test_render_key_of_a_plain_wav_is_none(tmp_path: Path) -> None:
    path = tmp_path / "plain.wav"
    path.write_bytes(encode(WavFile(48000, 16, 1, b"\x00\x00" * 100)))
    assert provenance.render_key_in(path) is None


def test_changing_only_the_render_key_changes_only_icmt(tmp_path: Path) -> None:
    spec = make_spec()
    audio = sine(1000.0, 16000, 0.6, amplitude=0.3)
    one = decode(render(audio, 16000, spec, 42, {"render": "a" * 32}).data)
    two = decode(render(audio, 16000, replace(spec, name="renamed"), 42, {"render": "b" * 32}).data)
    assert one.pcm == two.pcm
    assert one.info["ICMT"] != two.info["ICMT"]
