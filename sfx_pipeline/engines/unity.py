"""Unity: every asset has a `.meta` holding its GUID; references point at the GUID."""

from __future__ import annotations

from sfx_pipeline.engines import Engine


class Unity(Engine):
    name = "unity"
    sidecar_suffixes = (".meta",)
