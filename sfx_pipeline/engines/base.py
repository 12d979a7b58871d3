"""What every engine adapter is: the generic one (a plain folder) that the others subclass."""

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
