"""One thread owns the model: requests from every client go into one queue, and one decode
loop takes them, so sounds from three laptops fill the same batch.

With the fast decoder, each request joins the run in progress (`OpenDecoder`): it takes
the next free slot. Clips longer than the model's window, and every clip under
`decoder = "audiocraft"`, go through the AudioGen backend's own `run` between runs, with
its batching, windowing and out-of-memory handling, exactly as a local build would.
Results go back through each ticket's `deliver`, called on this thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sfx_pipeline.generators.audiogen.batching import FRAME_RATE
from sfx_pipeline.generators.base import Generated, Job
from sfx_pipeline.report import Reporter

STATS_WINDOW = 60.0  # seconds of history behind the audio-seconds-per-second gauge
MANY = 1 << 16  # "as many clips as fit": the server's slots do not depend on the first run's size


@dataclass
class Ticket:
    job: Job
    deliver: Callable[[Generated], None]
    request: Any = None  # its fast-decoder Request, when it can go through the open decoder


@dataclass
class Stats:
    generated: int = 0
    failed: int = 0
    audio_seconds: float = 0.0
    recent: deque[tuple[float, float]] = field(default_factory=deque)  # (when, audio seconds)

    def add(self, seconds: float) -> None:
        now = time.monotonic()
        self.generated += 1
        self.audio_seconds += seconds
        self.recent.append((now, seconds))
        self._trim(now)

    def rate(self) -> float:
        """Audio seconds made per second over the last minute."""
        now = time.monotonic()
        self._trim(now)
        return sum(s for _, s in list(self.recent)) / STATS_WINDOW

    def _trim(self, now: float) -> None:
        while self.recent and self.recent[0][0] < now - STATS_WINDOW:
            self.recent.popleft()


class Engine:
    def __init__(self, generator: Any, reporter: Reporter) -> None:
        self.generator = generator  # an AudioGenGenerator: loads the model, runs the non-streaming paths
        self.reporter = reporter
        self.queue: queue.Queue[Ticket] = queue.Queue()
        self.ready = threading.Event()  # the model is loaded
        self.settled = threading.Event()  # loaded, or failed to (load_error says why)
        self.load_error = ""
        self.stats = Stats()
        self.slots = 0
        self.decoder: Any = None  # OpenDecoder, when the fast decoder runs this model
        self.memory: Any = None  # memory.MemoryPolicy over the loaded model
        self._carry: list[Ticket] = []  # taken from the queue, waiting for the next run
        self._max_frames = 0
        self.on_failure: Callable[[], None] = lambda: None  # the model did not load: stop serving
        self._thread = threading.Thread(target=self._main, name="sfx-decode", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, ticket: Ticket) -> None:
        self.queue.put(ticket)

    def waiting(self) -> int:
        decoder = self.decoder
        return self.queue.qsize() + len(self._carry) + (decoder.waiting() if decoder is not None else 0)

    def in_flight(self) -> int:
        decoder = self.decoder
        return decoder.running() if decoder is not None else 0

    # the decode thread ---------------------------------------------------------------------

    def _main(self) -> None:
        try:
            self._load()
        except Exception as exc:  # noqa: BLE001 - reported by /ready and the log, not a crash
            self.load_error = f"{type(exc).__name__}: {exc}"
            self.reporter.line(f"serve: the model did not load: {self.load_error}")
            self.settled.set()
            self.on_failure()
            return
        self.ready.set()
        self.settled.set()
        while True:
            tickets = self._take()
            streaming = [t for t in tickets if self._streams(t)]
            if streaming:
                self._stream(streaming)
            others = [t for t in tickets if not self._streams(t)]
            if others:
                self._batched(others)

    def _load(self) -> None:
        from sfx_pipeline.generators.audiogen import runtime
        from sfx_pipeline.generators.audiogen.memory import MemoryPolicy

        loaded = self.generator.loaded()
        self._max_frames = runtime.max_frames(loaded)
        # The open decoder's own policy: slots for the longest clip, halved on out-of-memory.
        self.memory = MemoryPolicy(loaded, int(self.generator.ctx.settings.get("max_batch_size") or 0))
        self.slots = self.memory.size(self._max_frames, MANY)
        if self.generator.decoder == "fast" and runtime.fast_unsupported(loaded) is None:
            from sfx_pipeline.serve.open_decoder import OpenDecoder

            self.decoder = OpenDecoder(loaded.model)
        self.reporter.line(f"serve: model ready, {self.slots} sounds decoded at a time")

    def _take(self) -> list[Ticket]:
        """Block until there is work; then everything already waiting."""
        tickets, self._carry = self._carry, []
        if not tickets:
            tickets.append(self.queue.get())
        tickets += self._drain()
        return tickets

    def _drain(self) -> list[Ticket]:
        out = []
        while True:
            try:
                out.append(self.queue.get_nowait())
            except queue.Empty:
                return out

    def _streams(self, ticket: Ticket) -> bool:
        return self.decoder is not None and ticket.request is not None and ticket.request.frames <= self._max_frames

    # the open decoder ------------------------------------------------------------------------

    def _stream(self, tickets: list[Ticket]) -> None:
        by_id = {t.request.id: t for t in tickets}

        def more() -> list[Any]:
            joining = []
            for ticket in self._drain():
                if self._streams(ticket):
                    by_id[ticket.request.id] = ticket
                    joining.append(ticket.request)
                else:
                    self._carry.append(ticket)
            return joining

        rate = self.generator.loaded().sample_rate
        try:
            for request, audio in self.decoder.serve([t.request for t in tickets], more, self.slots):
                ticket = by_id.pop(request.id)
                self._deliver(ticket, Generated(ticket.job, audio, rate,
                                                info={"decoder": "fast", "seed": request.seed}))
        except Exception as exc:  # noqa: BLE001 - the server must outlive a failed run
            self.decoder.release()  # its buffers were sized for the run that failed
            verdict = self.memory.failed(exc, self.slots, self._max_frames / FRAME_RATE)
            if verdict.retry:
                self.slots = self.memory.limit or 1
                self.reporter.line(f"serve: {verdict.message}")
            else:
                for ticket in by_id.values():
                    self._deliver(ticket, Generated(ticket.job, None, 0, error=verdict.message))
                by_id.clear()
        self._carry[:0] = list(by_id.values())  # deferred (or to retry after running out of memory)

    def _batched(self, tickets: list[Ticket]) -> None:
        by_key = {t.job.key: t for t in tickets}
        for result in self.generator.run([t.job for t in tickets], self.reporter):
            ticket = by_key.pop(result.job.key, None)
            if ticket is not None:
                self._deliver(ticket, result)
        for ticket in by_key.values():
            self._deliver(ticket, Generated(ticket.job, None, 0, error="the generator returned no audio for it"))

    def _deliver(self, ticket: Ticket, result: Generated) -> None:
        if result.audio is not None:
            self.stats.add(len(result.audio) / result.rate)
        else:
            self.stats.failed += 1
        ticket.deliver(result)
