"""Per-slot device state: what each row is fed next, where it is, how it samples.

Everything here is allocated once per run shape and updated in place, so a captured CUDA
graph keeps reading the same addresses. Rows [0, slots) are the assets with their text;
rows [slots, 2 * slots) the same assets with the null condition (classifier-free guidance
doubles the batch, as in audiocraft); both halves of a slot share its tokens and position.

An idle slot (never used, or finished) does not advance: its position is frozen where it
is (a spare last position for a never-used one), it is fed the special token, and what it
computes is never read.
"""

from __future__ import annotations

from typing import Sequence

import torch

from sfx_pipeline.generators.audiogen.fast.model import Shape
from sfx_pipeline.generators.audiogen.fast.scheduler import Request


class SlotState:
    def __init__(self, shape: Shape, slots: int, capacity: int, device: torch.device) -> None:
        self.shape, self.slots, self.capacity = shape, slots, capacity
        long = torch.long
        self.tokens = torch.full((slots, shape.n_q), shape.card, device=device, dtype=long)  # next input column
        self.positions = torch.full((slots,), capacity - 1, device=device, dtype=long)
        self.total = torch.zeros(slots, device=device, dtype=long)  # steps of the asset in the slot; 0 = idle
        self.frames = torch.zeros(slots, device=device, dtype=long)
        self.temperature = torch.ones(slots, device=device)
        self.top_k = torch.zeros(slots, device=device, dtype=long)
        self.top_p = torch.zeros(slots, device=device)
        self.cfg_coef = torch.ones(slots, device=device)
        self.greedy = torch.zeros(slots, device=device, dtype=torch.bool)
        self.uniforms = torch.zeros(slots, capacity, shape.n_q, device=device)
        self.out = torch.full((slots, capacity, shape.n_q), shape.card, device=device, dtype=long)  # token sampled at each step
        self.delays = torch.tensor(shape.delays, device=device, dtype=long)
        self.index = torch.arange(slots, device=device)
        self._out_base = self.index * capacity

    def reset(self) -> None:
        """Every slot idle, as at allocation (a run abandoned midway may have left some busy)."""
        self.positions.fill_(self.capacity - 1)
        self.total.zero_()
        self.frames.zero_()
        self.tokens.fill_(self.shape.card)

    def admit(self, placed: list[tuple[int, Request]], uniforms: list[torch.Tensor]) -> None:
        """Start each request at position 0 of its slot, fed the special token (the pattern's
        first column), with its own parameters and random draws."""
        device = self.tokens.device
        slots = to_device([slot for slot, _ in placed], torch.long, device)
        requests = [request for _, request in placed]

        def column(values: Sequence[float], dtype: torch.dtype) -> torch.Tensor:
            return to_device(values, dtype, device)

        self.positions.index_fill_(0, slots, 0)
        self.tokens.index_fill_(0, slots, self.shape.card)
        self.frames.index_copy_(0, slots, column([r.frames for r in requests], torch.long))
        self.total.index_copy_(0, slots, column([self.shape.steps(r.frames) for r in requests], torch.long))
        self.temperature.index_copy_(0, slots, column([1.0 if r.greedy else r.temperature for r in requests],
                                                      torch.float32))
        self.top_k.index_copy_(0, slots, column([r.top_k for r in requests], torch.long))
        self.top_p.index_copy_(0, slots, column([r.top_p for r in requests], torch.float32))
        self.cfg_coef.index_copy_(0, slots, column([r.cfg_coef for r in requests], torch.float32))
        self.greedy.index_copy_(0, slots, column([r.greedy for r in requests], torch.bool))
        for (slot, _), draws in zip(placed, uniforms):
            self.uniforms[slot, :draws.shape[0]] = draws

    def record(self, tokens: torch.Tensor) -> None:
        """After a step sampled `tokens` [slots, n_q]: keep the valid ones, feed them next, advance.

        At step position p, codebook q holds frame p - delay[q]; outside [0, frames) it is the
        special token, as audiocraft's pattern mask makes it."""
        advance = self.positions < self.total
        frame = self.positions[:, None] - self.delays[None, :]
        valid = (frame >= 0) & (frame < self.frames[:, None]) & advance[:, None]
        kept = torch.where(valid, tokens, self.shape.card)
        self.out.view(-1, self.shape.n_q).index_copy_(0, self._out_base + self.positions, kept)
        self.tokens.copy_(kept)
        self.positions.add_(advance.long())

    def uniforms_now(self) -> torch.Tensor:
        """[slots, n_q]: each row's random numbers for the step at its position."""
        return self.uniforms[self.index, self.positions]

    def codes(self, slot: int, frames: int) -> torch.Tensor:
        """[n_q, frames] codes of a finished slot: frame t of codebook q was sampled at step t + delay[q]."""
        steps = torch.arange(frames, device=self.out.device)[None, :] + self.delays[:, None]
        return self.out[slot][steps, torch.arange(self.shape.n_q, device=self.out.device)[:, None]]


def to_device(values: Sequence[float], dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """A small host list on the device. On CUDA through pinned memory without blocking: a
    plain copy from pageable memory would make the host wait for every queued step."""
    host = torch.tensor(values, dtype=dtype)
    if device.type != "cuda":
        return host.to(device)
    return host.pin_memory().to(device, non_blocking=True)


def delayed_columns(codes: torch.Tensor, delays: tuple[int, ...], special: int) -> torch.Tensor:
    """codes [B, n_q, T] -> the inputs of every step [B, T + max_delay, n_q], as audiocraft's delay
    pattern lays them out: step 0 is all special; step p holds frame p - 1 - delay[q] where valid."""
    batch, n_q, frames = codes.shape
    steps = frames + max(delays)
    frame = torch.arange(steps, device=codes.device)[:, None] - 1 - torch.tensor(delays, device=codes.device)[None, :]
    valid = (frame >= 0) & (frame < frames)
    picked = codes.transpose(1, 2).gather(1, frame.clamp(0, frames - 1)[None].expand(batch, -1, -1))
    return torch.where(valid[None], picked, special)
