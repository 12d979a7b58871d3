"""Canonical form → keys. Pure functions: the same spec gives the same key on every machine.

The generation key covers what changes the model's output; the render key is the
generation key plus everything after the model. Names and output paths are in neither,
so renaming an asset regenerates nothing, and a fade change never reaches the GPU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sfx_pipeline.frozen import from_row
from sfx_pipeline.hashing import key_of
from sfx_pipeline.sound import SoundSpec, Target

if TYPE_CHECKING:
    from sfx_pipeline.generators.base import Generator
    from sfx_pipeline.lock import LockEntry

RENDER_VERSION = "2"  # bump when the render stage's output changes for the same inputs


def render_fields(spec: SoundSpec, generation_key: str) -> dict[str, Any]:
    return {
        "generation": generation_key,
        "renderer": RENDER_VERSION,
        "duration": spec.duration,
        **vars(spec.output),  # a flat dataclass: vars() is asdict() without the deep copy
    }


def generation_fields(spec: SoundSpec, generator: Generator) -> dict[str, Any]:
    return {
        "backend": generator.name,
        "algorithm": generator.version,
        "prompt": spec.prompt,
        "seed": spec.seed,
        **generator.key_fields(spec),
    }


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


def identity(generator: Generator) -> str:
    """Everything about a backend that its keys depend on besides the spec."""
    return f"{generator.name}/{generator.version}/{generator.identity()}"


def remembered(t: Target, generator: Generator) -> dict[str, Any]:
    """A target's keys as plain data, to skip recomputing them while nothing changed."""
    return {"id": identity(generator), "name": t.spec.name, "generation_key": t.generation_key,
            "render_key": t.render_key}


def recalled(spec: SoundSpec, generator: Generator, known: dict[str, Any], entry: LockEntry) -> Target | None:
    """The remembered target, if the lock entry holds the fields behind the same keys."""
    if (entry.generation_key, entry.render_key) != (known["generation_key"], known["render_key"]):
        return None
    return from_row(Target, (spec, generator.name, generator.placeholder, entry.generation, entry.generation_key,
                             entry.render, entry.render_key, None))  # every unchanged sound: see frozen.py
