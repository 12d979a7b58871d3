"""Procedural sound-effect synthesizer: plausible placeholders, offline, on the CPU."""

from __future__ import annotations

from typing import Any

VERSION: str = "1"  # algorithm version; goes into cache keys; bump when output changes

__all__ = ["VERSION", "classify", "synthesize"]


def __getattr__(name: str) -> Any:
    # The synthesizer needs numpy; planning needs only VERSION. Import it on first use (PEP 562).
    if name in ("classify", "synthesize"):
        from sfx_pipeline.generators.procedural import synth

        return getattr(synth, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
