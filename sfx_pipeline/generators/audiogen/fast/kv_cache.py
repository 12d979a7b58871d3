"""Static key/value buffers: allocated once per run shape, written in place, never grown.

Self-attention: `k`, `v` are [layers, rows, heads, capacity, head_dim], the layout
`scaled_dot_product_attention` reads ("b h t d"), so the keys a step attends to are a plain
slice `[..., :bucket, :]`. Each row is at its own position (continuous batching), so a
step writes row r's new key at `pos[r]` with one `index_copy_` over a flat view: no
`torch.cat`, no new shapes, which is what lets a CUDA graph replay the step.

Cross-attention: the text's keys and values per layer, [layers, rows, heads, text_capacity,
head_dim], projected once when an asset takes a slot, plus an additive bias per row that
hides the padding past that asset's own text length (so a short prompt batched with a long
one sees exactly the keys it would see alone).
"""

from __future__ import annotations

import torch

from sfx_pipeline.generators.audiogen.fast.model import Shape


class KVCache:
    def __init__(self, shape: Shape, rows: int, capacity: int, text_capacity: int,
                 device: torch.device, dtype: torch.dtype) -> None:
        self.rows, self.capacity, self.text_capacity = rows, capacity, text_capacity
        heads, head_dim = shape.heads, shape.head_dim
        # Zeros, not empty: a masked key contributes exp(-inf) = 0 times its value, and
        # 0 * NaN from uninitialised memory would be NaN.
        self.k = torch.zeros(shape.layers, rows, heads, capacity, head_dim, device=device, dtype=dtype)
        self.v = torch.zeros_like(self.k)
        self.text_k = torch.zeros(shape.layers, rows, heads, text_capacity, head_dim, device=device, dtype=dtype)
        self.text_v = torch.zeros_like(self.text_k)
        self.text_bias = torch.zeros(rows, 1, 1, text_capacity, device=device, dtype=dtype)
        # Flat index of (row, head, position 0) in a layer's [rows * heads * capacity, head_dim] view.
        self._base = (torch.arange(rows * heads, device=device) * capacity).view(rows, heads)

    def write_index(self, rows: slice, positions: torch.Tensor) -> torch.Tensor:
        """Where rows `rows` at `positions` [n] write, in a layer's flat view; the same for every layer."""
        return (self._base[rows] + positions[:, None]).reshape(-1)

    def write(self, layer: int, index: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
        """Store k, v [n, heads, head_dim] at `index` (from `write_index`)."""
        head_dim = k.shape[-1]
        self.k[layer].view(-1, head_dim).index_copy_(0, index, k.reshape(-1, head_dim))
        self.v[layer].view(-1, head_dim).index_copy_(0, index, v.reshape(-1, head_dim))

    def keys(self, layer: int, rows: slice, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Views [n, heads, length, head_dim] of the first `length` positions."""
        return self.k[layer, rows, :, :length], self.v[layer, rows, :, :length]

    def set_text(self, layer: int, rows: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
        """Store one layer's text keys/values [n, heads, L, head_dim] for rows `rows` (padded past L)."""
        length = k.shape[2]
        self.text_k[layer, rows, :, :length] = k
        self.text_v[layer, rows, :, :length] = v

    def set_text_lengths(self, rows: torch.Tensor, lengths: torch.Tensor) -> None:
        """Rows `rows` attend to their first `lengths` text positions and to nothing after."""
        positions = torch.arange(self.text_capacity, device=lengths.device)
        hidden = positions[None, :] >= lengths[:, None]
        bias = torch.zeros(hidden.shape, device=lengths.device, dtype=self.text_bias.dtype)
        self.text_bias[rows] = bias.masked_fill(hidden, float("-inf")).view(-1, 1, 1, self.text_capacity)


def self_attention_bias(positions: torch.Tensor, length: int, dtype: torch.dtype) -> torch.Tensor:
    """[rows, 1, 1, length] additive mask: row r sees keys 0..positions[r], as causal attention does."""
    keys = torch.arange(length, device=positions.device)
    visible = keys[None, :] <= positions[:, None]
    bias = torch.zeros(visible.shape, device=positions.device, dtype=dtype)
    return bias.masked_fill(~visible, float("-inf"))[:, None, None, :]
