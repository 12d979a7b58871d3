"""Canonical form → keys. Pure functions: the same spec gives the same key on every machine.

The generation key covers what changes the model's output; the render key is the
generation key plus everything after the model. Names and output paths are in neither,
so renaming an asset regenerates nothing, and a fade change never reaches the GPU.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import xxhash

from sfx_pipeline.descriptor import SoundSpec

if TYPE_CHECKING:
    from sfx_pipeline.generators import Generator

RENDER_VERSION = "1"  # bump when the render stage's output changes for the same inputs


def canonical(fields: dict[str, Any]) -> str:
    """Sorted keys, no whitespace, exact floats: one text per meaning."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return xxhash.xxh3_128_hexdigest(data)


def render_fields(spec: SoundSpec, generation_key: str) -> dict[str, Any]:
    return {
        "generation": generation_key,
        "renderer": RENDER_VERSION,
        "duration": spec.duration,
        **asdict(spec.output),
    }


def key_of(fields: dict[str, Any]) -> str:
    return digest(canonical(fields))


def generation_fields(spec: SoundSpec, generator: Generator) -> dict[str, Any]:
    return {
        "backend": generator.name,
        "algorithm": generator.version,
        "prompt": spec.prompt,
        "seed": spec.seed,
        **generator.key_fields(spec),
    }


@dataclass(frozen=True)
class Target:
    """A spec with its resolved backend and both keys: everything the plan compares."""

    spec: SoundSpec
    backend: str
    placeholder: bool
    generation: dict[str, Any]
    generation_key: str
    render: dict[str, Any]
    render_key: str


def target(spec: SoundSpec, generator: Generator) -> Target:
    generation = generation_fields(spec, generator)
    generation_key = key_of(generation)
    render = render_fields(spec, generation_key)
    return Target(
        spec=spec,
        backend=generator.name,
        placeholder=generator.placeholder,
        generation=generation,
        generation_key=generation_key,
        render={k: v for k, v in render.items() if k != "generation"},
        render_key=key_of(render),
    )
