"""RIFF/WAVE writing and reading, with the chunks engines and middleware read.

`smpl` carries loop points (Godot's "Detect From WAV", Unreal, Wwise), `cue ` marks
positions, `LIST/INFO` carries text (provenance). Chunks with odd sizes are padded to an
even length, as RIFF requires; the size field keeps the unpadded length.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from sfx_pipeline.audio.quantize import from_pcm

WAVE_FORMAT_PCM = 1
INFO_ORDER = ("INAM", "ICMT", "ISFT", "ICRD")  # title, comment, software, date


@dataclass(frozen=True)
class Loop:
    start: int  # first sample of the loop
    end: int  # last sample of the loop, inclusive (as smpl defines it)


@dataclass
class WavFile:
    rate: int
    bit_depth: int
    channels: int
    pcm: bytes
    loops: list[Loop] = field(default_factory=list)
    cues: list[int] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)
    chunk_ids: list[str] = field(default_factory=list)  # in file order, when read

    @property
    def frames(self) -> int:
        return len(self.pcm) // (self.bit_depth // 8 * self.channels)

    def samples(self) -> np.ndarray:
        return from_pcm(self.pcm, self.bit_depth)


def _chunk(chunk_id: bytes, body: bytes) -> bytes:
    pad = b"\x00" if len(body) % 2 else b""
    return chunk_id + struct.pack("<I", len(body)) + body + pad


def _fmt(rate: int, bit_depth: int, channels: int) -> bytes:
    block = channels * bit_depth // 8
    return struct.pack("<HHIIHH", WAVE_FORMAT_PCM, channels, rate, rate * block, block, bit_depth)


def _smpl(rate: int, loops: list[Loop]) -> bytes:
    period_ns = int(round(1e9 / rate))
    head = struct.pack("<9I", 0, 0, period_ns, 60, 0, 0, 0, len(loops), 0)
    body = b"".join(struct.pack("<6I", i, 0, lp.start, lp.end, 0, 0) for i, lp in enumerate(loops))
    return head + body


def _cue(cues: list[int]) -> bytes:
    points = b"".join(struct.pack("<II4sIII", i + 1, pos, b"data", 0, 0, pos) for i, pos in enumerate(cues))
    return struct.pack("<I", len(cues)) + points


def _info(info: dict[str, str]) -> bytes:
    body = b"INFO"
    for key in sorted(info, key=lambda k: (INFO_ORDER.index(k) if k in INFO_ORDER else 99, k)):
        body += _chunk(key.encode("ascii"), info[key].encode("utf-8") + b"\x00")
    return body


def encode(wav: WavFile) -> bytes:
    body = b"WAVE" + _chunk(b"fmt ", _fmt(wav.rate, wav.bit_depth, wav.channels))
    if wav.cues:
        body += _chunk(b"cue ", _cue(wav.cues))
    if wav.loops:
        body += _chunk(b"smpl", _smpl(wav.rate, wav.loops))
    if wav.info:
        body += _chunk(b"LIST", _info(wav.info))
    body += _chunk(b"data", wav.pcm)
    return b"RIFF" + struct.pack("<I", len(body)) + body


class WavError(ValueError):
    pass


def decode(data: bytes) -> WavFile:
    """Parse a mono or multichannel integer PCM WAV; anything malformed raises WavError."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a RIFF/WAVE file")
    try:
        return _decode_chunks(data)
    except struct.error as exc:  # a chunk shorter than what it claims to hold
        raise WavError(f"malformed chunk: {exc}") from exc


def _decode_chunks(data: bytes) -> WavFile:
    wav = WavFile(rate=0, bit_depth=0, channels=0, pcm=b"")
    for chunk_id, body in _chunks(data, 12):
        wav.chunk_ids.append(chunk_id)
        if chunk_id == "fmt ":
            fmt, wav.channels, wav.rate, _, _, wav.bit_depth = struct.unpack_from("<HHIIHH", body)
            if fmt != WAVE_FORMAT_PCM:
                raise WavError(f"format {fmt} is not integer PCM")
        elif chunk_id == "data":
            wav.pcm = body
        elif chunk_id == "smpl":
            count = struct.unpack_from("<I", body, 28)[0]
            for i in range(count):
                _, _, start, end, _, _ = struct.unpack_from("<6I", body, 36 + 24 * i)
                wav.loops.append(Loop(start, end))
        elif chunk_id == "cue ":
            count = struct.unpack_from("<I", body)[0]
            wav.cues = [struct.unpack_from("<II4sIII", body, 4 + 24 * i)[5] for i in range(count)]
        elif chunk_id == "LIST" and body[:4] == b"INFO":
            wav.info = {k: v.rstrip(b"\x00").decode("utf-8", "replace") for k, v in _chunks(body, 4)}
    if not wav.rate:
        raise WavError("no fmt chunk")
    return wav


def _chunks(data: bytes, offset: int) -> Iterator[tuple[str, bytes]]:
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4].decode("ascii", "replace")
        size = struct.unpack_from("<I", data, offset + 4)[0]
        body = data[offset + 8 : offset + 8 + size]
        if len(body) < size:
            raise WavError(f"chunk {chunk_id!r} is truncated")
        yield chunk_id, body
        offset += 8 + size + (size % 2)
