"""The fast decoder with an open door: requests join a run while it decodes.

`FastDecoder.generate` decodes a list fixed at the start. A server's clients arrive at any
moment, so here the same loop (`FastDecoder.advance`: admit into free slots, step, hand
finished rows to EnCodec) runs over a scheduler this class owns, and the step callback
moves newly arrived requests into its waiting line. A request from a second laptop takes
the first slot that frees, in the run already going, instead of waiting for it to end.

Buffers are planned for the model's longest clip, so any length can join. The text keys
are sized by the prompts the run started with (as in `generate`, which keeps a sound's
numbers the same as a local build's); a later prompt too long for them waits, and the run
stops taking newcomers so that it drains and the next run, sized for it, starts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from sfx_pipeline.generators.audiogen.fast.audio import AudioDecoder
from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder
from sfx_pipeline.generators.audiogen.fast.scheduler import Request, Scheduler
from sfx_pipeline.generators.audiogen.fast.session import Layout


class OpenDecoder(FastDecoder):
    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.scheduler: Scheduler | None = None  # the run in progress, read for metrics
        self.deferred: list[Request] = []  # taken by `more` but not fitting this run: the caller's next run

    def serve(self, first: list[Request], more: Callable[[], list[Request]],
              slots: int) -> Iterator[tuple[Request, np.ndarray]]:
        """Decode `first` and whatever `more()` returns at each step, yielding (request,
        audio) as each is decoded, until nothing is running or waiting."""
        self.deferred = []
        with torch.inference_mode():
            sources, longest_text = self.texts(first)
            layout = Layout.plan(max(1, slots), self.lm.shape.steps(self.max_frames), self.model_steps,
                                 longest_text, self.exact)
            session = self.session_for(layout)
        scheduler = Scheduler(first, min(max(1, slots), layout.slots), self.lm.shape.max_delay)
        self.scheduler = scheduler
        audio = AudioDecoder(self.model, self.exact)

        def join(done: int, total: int) -> None:
            if self.deferred:
                return  # draining for a prompt that needs bigger text buffers
            for request in more():
                if self.deferred or self.source(request.prompt).shape[0] > layout.text_capacity:
                    self.deferred.append(request)
                    continue
                sources[request.prompt] = self.source(request.prompt)
                scheduler.waiting.append(request)
                scheduler.total_steps += request.frames + scheduler.max_delay
            scheduler.waiting.sort(key=lambda r: -r.frames)  # longest first, as the scheduler orders them

        try:
            while True:
                with torch.inference_mode():
                    if scheduler.finished and not audio.busy:
                        join(0, 0)  # one last look before the run ends
                        if scheduler.finished:
                            return
                    ready = self.advance(session, scheduler, sources, audio, join)
                yield from ready
        finally:
            self.scheduler = None

    def running(self) -> int:
        scheduler = self.scheduler
        return 0 if scheduler is None else sum(1 for r in list(scheduler.running) if r is not None)

    def waiting(self) -> int:
        scheduler = self.scheduler
        return 0 if scheduler is None else len(scheduler.waiting)
