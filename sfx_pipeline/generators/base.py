"""What a generator backend is and exchanges: the Protocol, a job in, a result out, its context.

Backends import this module, never the registry in `generators/__init__.py` (which imports
them), so the dependencies run one way: registry -> backends -> base.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Protocol, Sequence

from sfx_pipeline.report import Reporter

if TYPE_CHECKING:  # numpy costs a tenth of a second to import: planning never needs it
    import numpy as np

    from sfx_pipeline.sound import SoundSpec


@dataclass(frozen=True)
class Job:
    spec: SoundSpec
    key: str  # the generation key: backends derive per-batch seeds from these


@dataclass
class Generated:
    job: Job
    audio: np.ndarray | None  # float32, 1-D, at `rate`; None when this job failed
    rate: int
    error: str = ""
    info: dict[str, Any] = field(default_factory=dict)  # batch facts recorded in the lock


class Generator(Protocol):
    name: str  # registry name; part of the generation key
    version: str  # algorithm version; part of the generation key
    placeholder: bool  # True for sounds meant to be replaced by a real model's

    def key_fields(self, spec: SoundSpec) -> dict[str, Any]:
        """What besides prompt and seed changes this backend's output for `spec`."""
        ...

    def identity(self) -> str:
        """What besides the spec and `version` its output depends on (the model's weights); may be ""."""
        ...

    def reproducibility(self) -> str:
        """One sentence for the lock: what makes a rebuild give the same audio."""
        ...

    def run(self, jobs: Sequence[Job], reporter: Reporter) -> Iterator[Generated]:
        ...


@dataclass(frozen=True)
class Context:
    settings: dict[str, Any]  # the project's [generator] table
    cache_dir: Path  # for what a backend wants to remember between runs (model fingerprints)
    reporter: Reporter
