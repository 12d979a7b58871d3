"""Procedural sound-effect synthesizer: plausible placeholders, offline, on the CPU."""

from .synth import VERSION, classify, synthesize

__all__ = ["VERSION", "classify", "synthesize"]
