"""Provenance in every WAV: a LIST/INFO chunk a person or a tool can trace back.

INAM holds the prompt, ICMT one `key=value` a line: seed, backend, model, both keys and a
digest of the PCM data. The PCM digest is what makes the embedded key trustworthy: an
editor that keeps the chunks but changes the audio breaks it, so such a file is treated
as edited by hand rather than as our own output.
"""

from __future__ import annotations

from pathlib import Path

from sfx_pipeline.hashing import digest
from sfx_pipeline.untrusted import read_regular

SOFTWARE = "sfx-pipeline"  # no version: the bytes must depend on the render key alone
_MAX_READ = 64 * 1024 * 1024


def info(fields: dict[str, str], prompt: str, pcm: bytes) -> dict[str, str]:
    lines = [f"{k}={v}" for k, v in fields.items()] + [f"pcm={digest(pcm)}"]
    return {"INAM": prompt, "ICMT": "\n".join(lines), "ISFT": SOFTWARE}


def read(path: Path) -> dict[str, str]:
    """The provenance fields of a WAV we wrote and nobody altered; {} otherwise."""
    try:
        return fields_of(read_regular(path, _MAX_READ, follow=False))
    except OSError:
        return {}


def fields_of(data: bytes) -> dict[str, str]:
    """`read`, for bytes already in memory."""
    from sfx_pipeline.audio.wav import WavError, decode  # numpy: only when a file must be looked into

    try:
        wav = decode(data)
    except (WavError, ValueError):
        return {}
    if wav.info.get("ISFT") != SOFTWARE:
        return {}
    fields = dict(line.split("=", 1) for line in wav.info.get("ICMT", "").splitlines() if "=" in line)
    if fields.get("pcm") != digest(wav.pcm):
        return {}
    return fields


def render_key_in(path: Path) -> str | None:
    return read(path).get("render")


def render_key_of(data: bytes) -> str | None:
    return fields_of(data).get("render")


def made_by_us(data: bytes) -> bool:
    """Says it was written by sfx-pipeline, even if its audio was edited since."""
    from sfx_pipeline.audio.wav import WavError, decode

    try:
        return decode(data).info.get("ISFT") == SOFTWARE
    except (WavError, ValueError):
        return False
