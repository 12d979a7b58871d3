"""One decoding step of the transformer, for a block of rows, on the audiocraft modules' own weights.

Each function mirrors the audiocraft code it replaces (`StreamingTransformerLayer.forward`
with `norm_first`, `StreamingMultiheadAttention.forward` with `custom=True`) operation for
operation: the same norms (in float32, as CUDA's autocast runs audiocraft's), the same
packed in-projection split "(p h d)", the same `scaled_dot_product_attention` with its
default 1/sqrt(head_dim) scale. What differs is where keys come from (the static cache,
with a mask, instead of a growing concatenation) and that the text's keys were projected
once, when the asset took its slot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from sfx_pipeline.generators.audiogen.fast.kv_cache import KVCache
from sfx_pipeline.generators.audiogen.fast.model import FastLM, norm

if TYPE_CHECKING:
    from audiocraft.modules.transformer import StreamingMultiheadAttention, StreamingTransformerLayer


def _attend(attn: StreamingMultiheadAttention, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor,
            exact: bool) -> torch.Tensor:
    """q [n, heads, 1, d] over k, v [n, heads, T, d] -> [n, dim], as audiocraft's custom attention.

    `exact` spells attention out as two matmuls and a softmax: the CPU's fused
    `scaled_dot_product_attention` kernel is not row-invariant (measured: a row's output
    changes in the last bit with the masks of the other rows in its call), the plain
    batched matmul is, for a fixed shape."""
    dtype = q.dtype
    if attn.attention_as_float32:
        q, k, v, bias = q.float(), k.float(), v.float(), bias.float()
    with torch.profiler.record_function("fast/attention"):
        if exact:
            scores = torch.matmul(q, k.transpose(-1, -2)) * q.shape[-1] ** -0.5 + bias
            x = torch.matmul(torch.softmax(scores.float(), dim=-1).to(v.dtype), v)
        else:
            x = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    return x.to(dtype).reshape(q.shape[0], -1)


def self_attention(layer: StreamingTransformerLayer, index: int, x: torch.Tensor, cache: KVCache, rows: slice,
                   write_index: torch.Tensor, length: int, bias: torch.Tensor, heads: int, exact: bool) -> torch.Tensor:
    attn = layer.self_attn
    n = x.shape[0]
    projected = F.linear(x, attn.in_proj_weight, attn.in_proj_bias)  # [n, 3 * dim], packed "(p h d)"
    q, k, v = projected.view(n, 3, heads, -1).unbind(dim=1)  # each [n, heads, head_dim]
    cache.write(index, write_index, k, v)
    keys, values = cache.keys(index, rows, length)
    out: torch.Tensor = attn.out_proj(_attend(attn, q[:, :, None, :], keys, values, bias, exact))
    return out


def cross_attention(attn: StreamingMultiheadAttention, index: int, x: torch.Tensor, cache: KVCache, rows: slice,
                    heads: int, exact: bool) -> torch.Tensor:
    dim = attn.in_proj_weight.shape[0] // 3
    bias_q = None if attn.in_proj_bias is None else attn.in_proj_bias[:dim]
    q = F.linear(x, attn.in_proj_weight[:dim], bias_q).view(x.shape[0], heads, 1, -1)
    out: torch.Tensor = attn.out_proj(_attend(attn, q, cache.text_k[index, rows], cache.text_v[index, rows],
                                              cache.text_bias[rows], exact))
    return out


def text_keys(attn: StreamingMultiheadAttention, source: torch.Tensor, heads: int) -> tuple[torch.Tensor, torch.Tensor]:
    """source [n, L, dim] -> k, v [n, heads, L, head_dim]: a layer's cross-attention projections,
    which audiocraft recomputes at every step and the fast decoder computes once per asset."""
    dim = attn.in_proj_weight.shape[0] // 3
    bias = attn.in_proj_bias
    k = F.linear(source, attn.in_proj_weight[dim:2 * dim], None if bias is None else bias[dim:2 * dim])
    v = F.linear(source, attn.in_proj_weight[2 * dim:], None if bias is None else bias[2 * dim:])
    n, length = source.shape[:2]
    return (k.view(n, length, heads, -1).transpose(1, 2), v.view(n, length, heads, -1).transpose(1, 2))


def feed_forward(layer: StreamingTransformerLayer, x: torch.Tensor) -> torch.Tensor:
    with torch.profiler.record_function("fast/ffn"):
        out: torch.Tensor = layer.linear2(layer.activation(layer.linear1(x)))
        return out


def step_logits(lm: FastLM, cache: KVCache, tokens: torch.Tensor, positions: torch.Tensor, rows: slice,
                length: int, self_bias: torch.Tensor, exact: bool = False) -> torch.Tensor:
    """Logits [n, n_q, card] for rows `rows` fed `tokens` [n, n_q] at `positions` [n].

    Rows only meet in the CFG combination after this function, so a block of rows can be
    computed alone: that is how exact mode keeps every op the same shape whatever the batch
    (see `session.Layout`)."""
    heads = lm.shape.heads
    write_index = cache.write_index(rows, positions)
    x = lm.embed(tokens) + lm.positions[positions]
    for index, layer in enumerate(lm.layers):
        x = x + layer.layer_scale_1(
            self_attention(layer, index, norm(layer.norm1, x), cache, rows, write_index, length, self_bias, heads, exact))
        if lm.cross:
            x = x + layer.layer_scale_cross(
                cross_attention(lm.cross_attentions[index], index, norm(layer.norm_cross, x), cache, rows, heads, exact))
        x = x + layer.layer_scale_2(feed_forward(layer, norm(layer.norm2, x)))
    return lm.heads(x)
