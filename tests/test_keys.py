"""What changes a key and what doesn't. The generation key decides GPU work; the render
key decides cheap re-renders. Names and output paths must be in neither."""

from __future__ import annotations

import dataclasses

import pytest

from sfx_pipeline.generators.procedural.backend import ProceduralGenerator
from sfx_pipeline.hashing import canonical, key_of
from sfx_pipeline.keys import target
from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec


def spec(**changes: object) -> SoundSpec:
    base = SoundSpec(
        name="door", descriptor="sfx/door.sfx.toml", entry="", prompt="wooden door", duration=2.0, seed=5,
        backend="procedural", model="facebook/audiogen-medium",
        generation=GenerationParams(1.0, 250, 0.0, 3.0),
        output=OutputParams(48000, 16, None, -1.0, 0.0, 0.0), output_path="audio/door.wav",
    )
    return dataclasses.replace(base, **changes)


def keys(s: SoundSpec) -> tuple[str, str]:
    t = target(s, ProceduralGenerator())
    return t.generation_key, t.render_key


BASE = keys(spec())


@pytest.mark.parametrize("change", [
    {"prompt": "metal door"},
    {"seed": 6},
    {"duration": 2.5},
    {"output": OutputParams(44100, 16, None, -1.0, 0.0, 0.0)},  # procedural renders at the output rate
])
def test_what_the_generator_hears_changes_both_keys(change: dict) -> None:
    generation, render = keys(spec(**change))
    assert generation != BASE[0] and render != BASE[1]


@pytest.mark.parametrize("change", [
    {"output": OutputParams(48000, 24, None, -1.0, 0.0, 0.0)},
    {"output": OutputParams(48000, 16, -3.0, None, 0.0, 0.0)},
    {"output": OutputParams(48000, 16, None, -2.0, 0.0, 0.0)},
    {"output": OutputParams(48000, 16, None, -1.0, 0.1, 0.0)},
    {"output": OutputParams(48000, 16, None, -1.0, 0.0, 0.5)},
])
def test_finishing_changes_only_the_render_key(change: dict) -> None:
    generation, render = keys(spec(**change))
    assert generation == BASE[0] and render != BASE[1]


@pytest.mark.parametrize("change", [
    {"name": "door_renamed"},
    {"descriptor": "sfx/moved/door.sfx.toml"},
    {"output_path": "audio/elsewhere/door.wav"},
    {"entry": "sound[3]"},
    # procedural ignores model sampling parameters and the model: they must not regenerate it
    {"generation": GenerationParams(0.5, 10, 0.9, 1.0)},
    {"model": "other/model"},
])
def test_names_and_places_change_no_key(change: dict) -> None:
    assert keys(spec(**change)) == BASE


def test_keys_are_fixed_strings_across_machines() -> None:
    # The key is xxh3-128 of canonical JSON: sorted keys, no spaces, exact numbers.
    assert canonical({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'
    assert key_of({"a": 1}) == key_of({"a": 1}) != key_of({"a": 1.5})
    assert len(BASE[0]) == 32 and int(BASE[0], 16) >= 0


def test_target_lists_the_fields_behind_each_key() -> None:
    t = target(spec(), ProceduralGenerator())
    assert t.generation == {"backend": "procedural", "algorithm": ProceduralGenerator.version, "prompt": "wooden door",
                            "seed": 5, "rate": 48000, "samples": 96000}
    assert t.render["duration"] == 2.0 and t.render["fade_out"] == 0.0 and "generation" not in t.render
    assert t.placeholder and t.backend == "procedural"
