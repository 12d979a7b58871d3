"""The value types every stage passes along. Frozen dataclasses, no behaviour, no imports
from the rest of the package, so the parser, the planner, the producers, the backends, the
renderer and the engines can all share them without depending on each other.

A sound as described is a `SoundSpec` (with its `GenerationParams` and `OutputParams`); a
sound as planned is a `Target`: the spec with its resolved backend and both keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GenerationParams:
    temperature: float
    top_k: int
    top_p: float
    cfg_coef: float


@dataclass(frozen=True)
class OutputParams:
    sample_rate: int
    bit_depth: int
    gain_db: float | None  # exactly one of gain_db / peak_db / loudness is set
    peak_db: float | None
    fade_in: float
    fade_out: float
    loudness: float | None = None
    true_peak_db: float = -1.0
    trim: bool = False
    loop: bool = False
    loop_crossfade: float = 0.25


@dataclass(frozen=True)
class SoundSpec:
    """One asset, fully resolved: everything the build needs, nothing it must look up."""

    name: str
    descriptor: str  # project-relative path of the .sfx.toml
    entry: str  # "" for a one-sound file, else "sound[i]": where in the file it came from
    prompt: str
    duration: float
    seed: int
    backend: str  # as requested: auto | procedural | audiogen
    model: str
    generation: GenerationParams
    output: OutputParams
    output_path: str  # project-relative, '/'-separated


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
    # Why its backend cannot run here, for a sound judged by a real model this machine lacks
    # (see targets.py); None when it can. The plan decides what follows from it.
    unavailable: str | None = None
