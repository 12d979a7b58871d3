"""Engine adapters: what each engine keeps beside an asset and needs before it appears.

Adding an engine is one module with an `Engine` subclass (from `base`) and a line in
ENGINES; the names it may take in `sfx-pipeline.toml` are `schema.ENGINES`.
"""

from __future__ import annotations

from sfx_pipeline.engines.base import Engine
from sfx_pipeline.engines.godot import Godot
from sfx_pipeline.engines.unity import Unity

__all__ = ["ENGINES", "Engine", "get"]

ENGINES: dict[str, type[Engine]] = {"generic": Engine, "godot": Godot, "unity": Unity}


def get(name: str) -> Engine:
    return ENGINES[name]()
