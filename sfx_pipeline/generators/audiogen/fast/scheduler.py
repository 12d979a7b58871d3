"""Continuous batching on the host: which asset is in which slot, and when it is done. Pure.

A run has a fixed number of slots; every slot steps together. An asset takes a free slot,
runs for its own number of steps (frames + max delay), and frees it; the next waiting
asset takes it at the following step. So rows of any length and any sampling parameters
share the device, and nothing waits for the longest clip of a batch. The host knows each
slot's step count without asking the device, so the only device-to-host traffic is the
finished audio.

Waiting assets are taken longest first: short ones then fill the gaps at the end instead
of a long one starting last and running alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable


@dataclass(frozen=True)
class Request:
    id: Hashable
    prompt: str
    frames: int
    seed: int
    temperature: float = 1.0
    top_k: int = 250
    top_p: float = 0.0
    cfg_coef: float = 3.0
    greedy: bool = False  # argmax instead of sampling (audiocraft's use_sampling=False)


@dataclass
class Running:
    request: Request
    steps: int  # total decoding steps for this asset
    done: int = 0  # steps taken so far; also the position of its next input token


class Scheduler:
    def __init__(self, requests: list[Request], slots: int, max_delay: int) -> None:
        self.max_delay = max_delay
        self.waiting = sorted(requests, key=lambda r: -r.frames)  # stable: equal lengths keep their order
        self.running: list[Running | None] = [None] * slots
        self.total_steps = sum(r.frames + max_delay for r in requests)
        self.steps_done = 0

    @property
    def finished(self) -> bool:
        return not self.waiting and all(r is None for r in self.running)

    def admit(self) -> list[tuple[int, Request]]:
        """Give free slots to waiting assets; returns (slot, request) for each one placed."""
        placed = []
        for slot, running in enumerate(self.running):
            if running is None and self.waiting:
                request = self.waiting.pop(0)
                self.running[slot] = Running(request, request.frames + self.max_delay)
                placed.append((slot, request))
        return placed

    def longest_context(self) -> int:
        """Keys the next step must attend to: the furthest running position, plus one."""
        return max((r.done + 1 for r in self.running if r is not None), default=1)

    def step(self) -> list[tuple[int, Request]]:
        """Record one step of every running slot; returns the (slot, request) that just finished, freed."""
        finished = []
        for slot, running in enumerate(self.running):
            if running is None:
                continue
            running.done += 1
            self.steps_done += 1
            if running.done == running.steps:
                finished.append((slot, running.request))
                self.running[slot] = None
        return finished
