"""CUDA graphs of the decoding step, one per attention length. CUDA only.

A step issues a few hundred small kernels (48 layers of norms, projections, attention,
FFN, then sampling); launched from Python that is host-bound (a profile of stock
audiocraft on an H100: the GPU waits between kernels). A graph
replays them with one launch. Shapes inside a graph are fixed, and the attention length
is the one shape that must change as clips grow, so there is one graph per bucket of
attention length (multiples of `decoder.BUCKET` up to the run's capacity): a step at
position 70 attends to 128 masked keys, not to the full capacity. All graphs share one
memory pool; that is safe because every value that outlives a step lives in the static
buffers of `KVCache` and `SlotState`, allocated outside the graphs, and graphs never run
concurrently.

Capture happens when a run's buffers are created, while every slot is idle: warm-up
steps then change nothing that matters (idle slots do not advance; their writes land on
positions no active row reads).
"""

from __future__ import annotations

from typing import Callable

import torch


class StepGraphs:
    def __init__(self, step: Callable[[int], None], lengths: list[int], warmup: int = 2) -> None:
        self._graphs: dict[int, torch.cuda.CUDAGraph] = {}
        pool = torch.cuda.graph_pool_handle()
        # Largest first: its temporaries are the biggest, so the shared pool is sized once.
        for length in sorted(lengths, reverse=True):
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):  # warm-up off the capture stream, as torch's docs require
                for _ in range(warmup):
                    step(length)
            torch.cuda.current_stream().wait_stream(side)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph, pool=pool):
                step(length)
            self._graphs[length] = graph

    def replay(self, length: int) -> None:
        self._graphs[length].replay()

    def __len__(self) -> int:
        return len(self._graphs)
