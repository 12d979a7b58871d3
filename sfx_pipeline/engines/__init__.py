"""Engine adapters: what each engine keeps beside an asset and needs before it appears.

Adding an engine is one module with an `Engine` subclass and a line in ENGINES.
"""

from __future__ import annotations

from pathlib import Path

from sfx_pipeline.sound import SoundSpec


class Engine:
    """The generic engine: a plain folder. Subclasses add their sidecar files."""

    name = "generic"
    sidecar_suffixes: tuple[str, ...] = ()  # files the engine keeps next to each asset

    def sidecars(self, output: Path) -> list[Path]:
        return [output.with_name(output.name + suffix) for suffix in self.sidecar_suffixes]

    def before_install(self, output: Path, spec: SoundSpec, relative: str) -> None:
        """Called before the WAV is moved into place; the file may not exist yet."""


def get(name: str) -> Engine:
    from sfx_pipeline.engines.godot import Godot
    from sfx_pipeline.engines.unity import Unity

    return {"generic": Engine, "godot": Godot, "unity": Unity}[name]()
