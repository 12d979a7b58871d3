"""Debounce: many change signals in, one "build now" out. Pure: the clock is injected and
nothing here sleeps or starts a thread, so its rules are tested with a fake clock.

One save is several events (truncate, write, close; or create a temp file, write it,
rename it over), and editors that save many files at once send bursts. A batch is due
when no signal came for `settle` seconds, or `max_wait` after its first signal, so a
continuous stream (a tool rewriting files non-stop) still gets built now and then.
Signals that arrive while a build runs are kept, and make exactly one batch after it.
"""

from __future__ import annotations

import time
from typing import Callable, Generic, Hashable, TypeVar

T = TypeVar("T", bound=Hashable)


class Debouncer(Generic[T]):
    def __init__(self, settle: float, max_wait: float, clock: Callable[[], float] = time.monotonic) -> None:
        if settle < 0 or max_wait < settle:
            raise ValueError(f"need 0 <= settle <= max_wait, got settle={settle}, max_wait={max_wait}")
        self.settle = settle
        self.max_wait = max_wait
        self.clock = clock
        self._pending: set[T] = set()
        self._first: float | None = None  # when the pending batch began
        self._last: float | None = None  # its latest signal
        self._building = False

    def signal(self, item: T) -> None:
        now = self.clock()
        if self._first is None:
            self._first = now
        self._last = now
        self._pending.add(item)  # a set: the same file saved twice is one change

    @property
    def pending(self) -> frozenset[T]:
        return frozenset(self._pending)

    @property
    def building(self) -> bool:
        return self._building

    def wait(self) -> float | None:
        """Seconds until the pending batch is due (0 when it is); None when there is nothing
        to wait for: no signal yet, or a build is running (its end is what to wait for)."""
        if self._first is None or self._last is None or self._building:
            return None
        due = min(self._last + self.settle, self._first + self.max_wait)
        return max(0.0, due - self.clock())

    def take(self) -> frozenset[T] | None:
        """The batch, if it is due; taking it starts a build (see `finish`)."""
        if self.wait() != 0.0:
            return None
        batch = frozenset(self._pending)
        self._pending.clear()
        self._first = self._last = None
        self._building = True
        return batch

    def begin(self) -> None:
        """A build that no batch asked for (the full rescan at start) is running."""
        self._building = True

    def finish(self) -> None:
        """The build is over; what was signalled meanwhile becomes the next batch."""
        self._building = False
