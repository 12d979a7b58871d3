"""Godot 4: the editor writes `<file>.wav.import` on import and keeps its params and uid
across reimports as long as the WAV is replaced in place. We never write or rewrite it:
loop points reach Godot through the WAV's `smpl` chunk ("Detect From WAV", the default)."""

from __future__ import annotations

from sfx_pipeline.engines.base import Engine


class Godot(Engine):
    name = "godot"
    sidecar_suffixes = (".import",)
