"""The buffers of one run shape, and the decoding step over them.

`Layout` decides the shapes. Two modes:

- bucketed (the CUDA default): all rows in one forward; the KV cache holds the run's
  longest clip, and a step attends to the smallest multiple of BUCKET covering the
  furthest row, one CUDA graph per such length.
- exact (the CPU default): a row's arithmetic must not depend on the batch, and CPU matmul
  kernels change with the number of rows (measured: the same row through a [2, d] and a
  [16, d] GEMM differs in the last bits). So rows go through the network in blocks of a
  fixed TILE (padding with idle slots), attention always spans the same number of keys
  (the model's longest clip) and is spelled out as matmuls (the fused CPU attention kernel
  is not row-invariant either), whatever else is being decoded. Within one shape a row's
  result does not depend on its neighbours, so an asset's logits are bit-identical alone
  or among 64 others (tests/test_fast_decoder.py), and so are its tokens. (One shape
  still follows the run: the text keys, 64 positions unless a prompt is longer than 64
  text tokens, which makes it 128 for that run.)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ContextManager

import torch

from sfx_pipeline.generators.audiogen.fast import layers, sampling
from sfx_pipeline.generators.audiogen.fast.graphs import StepGraphs
from sfx_pipeline.generators.audiogen.fast.kv_cache import KVCache, self_attention_bias
from sfx_pipeline.generators.audiogen.fast.model import FastLM
from sfx_pipeline.generators.audiogen.fast.scheduler import Request
from sfx_pipeline.generators.audiogen.fast.slots import SlotState, to_device

BUCKET = 64  # attention lengths are multiples of this (one CUDA graph each)
TILE = 8  # rows per block in exact mode: 4 slots, each a conditioned and a null row
TEXT_ROUND = {True: 64, False: 16}  # text key capacity granularity, exact / bucketed (16: fp16 mask alignment)


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


@dataclass(frozen=True)
class Layout:
    slots: int
    capacity: int  # positions in the KV cache (one spare, where idle slots park)
    text_capacity: int
    tile: int | None  # rows per forward block; None: all rows at once
    bucket: int | None  # attention length granularity; None: always the full capacity

    @staticmethod
    def plan(slots: int, longest_steps: int, model_steps: int, longest_text: int, exact: bool) -> Layout:
        if exact:
            return Layout(round_up(slots, TILE // 2), round_up(model_steps + 1, BUCKET),
                          round_up(longest_text, TEXT_ROUND[True]), TILE, None)
        return Layout(slots, round_up(longest_steps + 1, BUCKET), round_up(longest_text, TEXT_ROUND[False]),
                      None, BUCKET)

    @property
    def rows(self) -> int:
        return 2 * self.slots

    def attention_length(self, needed: int) -> int:
        return self.capacity if self.bucket is None else min(self.capacity, round_up(needed, self.bucket))

    def attention_lengths(self) -> list[int]:
        return [self.capacity] if self.bucket is None else list(range(self.bucket, self.capacity + 1, self.bucket))


class Session:
    def __init__(self, lm: FastLM, layout: Layout, null_source: torch.Tensor, use_graphs: bool) -> None:
        self.lm, self.layout = lm, layout
        shape = lm.shape
        self.cache = KVCache(shape, layout.rows, layout.capacity, layout.text_capacity, lm.device, lm.compute_dtype)
        self.state = SlotState(shape, layout.slots, layout.capacity, lm.device)
        with self.autocast():
            # The null condition is the same for every asset: its rows' text keys are set once.
            null_rows = torch.arange(layout.slots, layout.rows, device=lm.device)
            for index, attn in enumerate(lm.cross_attentions):
                k, v = layers.text_keys(attn, null_source[None], shape.heads)
                self.cache.set_text(index, null_rows, k.expand(len(null_rows), -1, -1, -1),
                                    v.expand(len(null_rows), -1, -1, -1))
            length = torch.full((len(null_rows),), null_source.shape[0], device=lm.device)
            self.cache.set_text_lengths(null_rows, length)
        self.graphs = self._capture() if use_graphs else None

    def _capture(self) -> StepGraphs | None:
        """CUDA graphs of the step, or None to step eagerly (the same code, slower) when this
        GPU, driver or torch build cannot capture them: a build must not fail for speed."""
        try:
            return StepGraphs(self._step, self.layout.attention_lengths())
        except torch.cuda.OutOfMemoryError:
            raise  # the caller halves the slots and tries again
        except RuntimeError as exc:
            warnings.warn(f"CUDA graph capture failed ({exc}); decoding without graphs", RuntimeWarning, stacklevel=2)
            torch.cuda.synchronize()
            return None

    def autocast(self) -> ContextManager[object]:
        return self.lm.autocast()

    def admit(self, placed: list[tuple[int, Request]], sources: list[torch.Tensor], uniforms: list[torch.Tensor]) -> None:
        """Put requests in their slots: parameters, random draws, and their text's keys, projected once."""
        self.state.admit(placed, uniforms)
        lm, device = self.lm, self.lm.device
        rows = to_device([slot for slot, _ in placed], torch.long, device)
        if lm.cross:
            with self.autocast():
                self._project_text(rows, sources)
            self.cache.set_text_lengths(rows, to_device([s.shape[0] for s in sources], torch.long, device))

    def _project_text(self, rows: torch.Tensor, sources: list[torch.Tensor]) -> None:
        heads = self.lm.shape.heads
        if self.layout.tile is not None:  # exact: each asset alone, so the GEMM shape is its own
            for row, source in zip(rows, sources):
                for index, attn in enumerate(self.lm.cross_attentions):
                    k, v = layers.text_keys(attn, source[None], heads)
                    self.cache.set_text(index, row[None], k, v)
            return
        longest = max(s.shape[0] for s in sources)
        padded = torch.zeros(len(sources), longest, sources[0].shape[-1], device=self.lm.device,
                             dtype=sources[0].dtype)
        for i, source in enumerate(sources):
            padded[i, :source.shape[0]] = source
        for index, attn in enumerate(self.lm.cross_attentions):
            k, v = layers.text_keys(attn, padded, heads)  # padding is masked by each row's text bias
            self.cache.set_text(index, rows, k, v)

    def guided_logits(self, length: int) -> torch.Tensor:
        """One forward of every row at its position; returns CFG-combined logits [slots, n_q, card]."""
        state, slots = self.state, self.layout.slots
        positions = state.positions.repeat(2)
        tokens = state.tokens.repeat(2, 1)
        bias = self_attention_bias(positions, length, self.lm.compute_dtype)
        tile = self.layout.tile or self.layout.rows
        exact = self.layout.tile is not None
        parts = [layers.step_logits(self.lm, self.cache, tokens[a:a + tile], positions[a:a + tile],
                                    slice(a, a + tile), length, bias[a:a + tile], exact)
                 for a in range(0, self.layout.rows, tile)]
        logits = parts[0] if len(parts) == 1 else torch.cat(parts)
        cond, uncond = logits[:slots], logits[slots:]
        # audiocraft: uncond + (cond - uncond) * cfg_coef, with a Python float coefficient, i.e.
        # computed in float32 and rounded to the logits' dtype; same here with a per-row tensor.
        return uncond + ((cond - uncond) * self.state.cfg_coef[:, None, None]).to(logits.dtype)

    def _step(self, length: int) -> None:
        with self.autocast():
            logits = self.guided_logits(length)
            state = self.state
            tokens = sampling.sample(logits, state.temperature, state.top_k, state.top_p, state.greedy,
                                     state.uniforms_now())
            state.record(tokens)

    def step(self, length: int) -> None:
        """Advance every busy slot by one token (a graph replay on CUDA)."""
        if self.graphs is not None:
            self.graphs.replay(length)
        else:
            self._step(length)
