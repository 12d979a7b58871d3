"""EnCodec decoding of finished rows: batched, and on CUDA off the decoding loop's stream.

Rows that finish at the same step are decoded together, grouped by length (EnCodec's
convolutions pad at the edges, so a clip padded to a longer one would change near its end).
On CUDA the decode runs on a side stream and its audio is copied to host memory without
blocking, so the next decoding steps are already queued while it runs; `ready()` hands
back what has landed. In exact mode (the CPU default) each row is decoded alone, so its
audio, like its tokens, does not depend on the rows that finished with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from sfx_pipeline.generators.audiogen.fast.scheduler import Request


@dataclass
class _Pending:
    requests: list[Request]
    audio: torch.Tensor  # [n, samples] on the host (pinned, filled asynchronously on CUDA)
    event: Any  # torch.cuda.Event, or None when the copy was synchronous


class AudioDecoder:
    def __init__(self, model: Any, exact: bool) -> None:
        self.model = model
        self.exact = exact
        device = next(model.compression_model.parameters()).device
        self.stream = torch.cuda.Stream(device) if device.type == "cuda" else None
        self._pending: list[_Pending] = []

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def submit(self, finished: list[tuple[Request, torch.Tensor]]) -> None:
        """Queue the codes [n_q, frames] of finished rows for decoding."""
        if self.exact:
            batches = [[item] for item in finished]
        else:
            by_length: dict[int, list[tuple[Request, torch.Tensor]]] = {}
            for request, codes in finished:
                by_length.setdefault(codes.shape[-1], []).append((request, codes))
            batches = list(by_length.values())
        for batch in batches:
            self._decode([r for r, _ in batch], torch.stack([c for _, c in batch]))

    def _decode(self, requests: list[Request], codes: torch.Tensor) -> None:
        with torch.profiler.record_function("fast/encodec"):
            if self.stream is None:
                audio = self.model.generate_audio(codes)[:, 0].float().cpu()
                self._pending.append(_Pending(requests, audio, None))
                return
            self.stream.wait_stream(torch.cuda.current_stream())  # the codes were made on the main stream
            with torch.cuda.stream(self.stream):
                codes.record_stream(self.stream)
                audio = self.model.generate_audio(codes)[:, 0].float()
                host = torch.empty(audio.shape, dtype=audio.dtype, pin_memory=True)
                host.copy_(audio, non_blocking=True)
                event = torch.cuda.Event()
                event.record(self.stream)
            self._pending.append(_Pending(requests, host, event))

    def ready(self, wait: bool = False) -> list[tuple[Request, np.ndarray]]:
        """Audio of every decode that has finished (all of them if `wait`), in submission order."""
        done: list[tuple[Request, np.ndarray]] = []
        while self._pending and (wait or self._pending[0].event is None or self._pending[0].event.query()):
            pending = self._pending.pop(0)
            if pending.event is not None:
                pending.event.synchronize()
            done.extend((r, row.numpy().copy()) for r, row in zip(pending.requests, pending.audio))
        return done
