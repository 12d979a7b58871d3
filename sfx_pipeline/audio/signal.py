"""The value passed between render steps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Signal:
    samples: np.ndarray  # float32, 1-D, nominal range [-1, 1]
    rate: int
    # Facts steps leave for the writer, e.g. loop points in samples
    marks: dict[str, int] = field(default_factory=dict)
    # What a person should know about how the render went, e.g. a loudness target not reached
    notes: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def with_samples(self, samples: np.ndarray, **marks: int) -> Signal:
        return Signal(np.ascontiguousarray(samples, dtype=np.float32), self.rate, {**self.marks, **marks}, self.notes)

    def noting(self, note: str) -> Signal:
        return Signal(self.samples, self.rate, self.marks, (*self.notes, note))


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))

