"""What the fast decoder reads from a loaded audiocraft LM, and whether it can.

Nothing is copied: every weight used is the audiocraft module's own parameter (a slice of
`in_proj_weight` is a view). The only tensors made here are the positional table (a few MB
at most) and the text conditions of the prompts, which audiocraft's own conditioning
provider and fuser compute, one prompt at a time so that a prompt's condition never
depends on the prompts batched with it (T5 pads a batch to its longest prompt, and the
fuser hands cross-attention the padded positions without a mask).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ContextManager

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:  # audiocraft's own modules; imported where a model is loaded, never at start-up
    from audiocraft.modules.transformer import StreamingMultiheadAttention, StreamingTransformerLayer


@dataclass(frozen=True)
class Shape:
    dim: int
    heads: int
    layers: int
    n_q: int
    card: int  # codebook size; also the id of the special "not yet valid" token
    delays: tuple[int, ...]  # the delay pattern, e.g. (0, 1, 2, 3)

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads

    @property
    def max_delay(self) -> int:
        return max(self.delays)

    def steps(self, frames: int) -> int:
        """Decoding steps for a clip of `frames`: audiocraft's delayed pattern has
        frames + max_delay + 1 columns, the first being the special token, so as many steps."""
        return frames + self.max_delay


def unsupported_reason(lm: Any) -> str | None:
    """Why the fast decoder cannot run `lm` exactly as audiocraft would, or None if it can.

    It covers what audiogen-medium uses (pre-norm, sin positions, the custom/memory-efficient
    attention, cross-attention to the text, a delay pattern); anything else keeps the stock path."""
    from audiocraft.models.lm import LMModel
    from audiocraft.modules.codebooks_patterns import DelayedPatternProvider
    from audiocraft.modules.transformer import StreamingMultiheadAttention, StreamingTransformerLayer

    if type(lm) is not LMModel:
        return f"{type(lm).__name__} is not a plain LMModel"
    pattern = lm.pattern_provider
    if type(pattern) is not DelayedPatternProvider or pattern.flatten_first or pattern.empty_initial:
        return "its codebook pattern is not a plain delay pattern"
    transformer = lm.transformer
    if transformer.positional_embedding != "sin":
        return f"positional embedding {transformer.positional_embedding!r} (only 'sin' is supported)"
    unused = [m for m, conds in lm.fuser.fuse2cond.items() if conds and m != "cross"]
    if unused:
        return f"conditions fused by {', '.join(unused)} (only cross-attention is supported)"
    if lm.condition_provider.has_wav_condition or lm.condition_provider.has_joint_embed_conditions:
        return "waveform conditioning"
    if lm.out_norm is None:
        return "post-norm layers"
    norms = [lm.out_norm] + [n for layer in transformer.layers
                             for n in (layer.norm1, layer.norm2, getattr(layer, "norm_cross", layer.norm1))]
    if not all(type(n) is nn.LayerNorm for n in norms):
        return "a norm other than layer_norm"
    cross = bool(lm.fuser.fuse2cond.get("cross"))
    for layer in transformer.layers:
        if type(layer) is not StreamingTransformerLayer:
            return f"a transformer layer of type {type(layer).__name__}"
        attn = layer.self_attn
        if not layer.norm_first:
            return "post-norm layers"
        if not attn.custom or attn.kv_repeat != 1 or attn.qk_layer_norm or attn.rope is not None:
            return "a self-attention variant (non-custom, kv_repeat, qk norm or rope)"
        if not attn.causal or attn.past_context is not None:
            return "non-causal or windowed self-attention"
        other = layer.cross_attention
        if (other is not None) != cross:
            return "cross-attention layers that do not match the fuser"
        if other is not None and (type(other) is not StreamingMultiheadAttention or not other.custom
                                  or other.qk_layer_norm):
            return "a cross-attention variant"
    return None


class FastLM:
    """A read-only view of an audiocraft LMModel for step-by-step decoding.

    Dtypes come from the modules that compute with them, never from the LM as a whole:
    audiocraft's loader puts only the transformer in `cfg.dtype` (float16 on a GPU), while
    the token embeddings, output norm, heads and text conditioner stay float32. So, as in
    `LMModel.forward` under audiocraft's fp16 autocast:

    - the residual stream has the embeddings' dtype (`dtype`, float32 in both layouts);
    - attention and FFN compute in `compute_dtype`: float16 under autocast when the
      transformer's weights are float16, else their own dtype; the KV cache holds that;
    - norms run in float32 (CUDA's autocast rule for layer_norm), heads under autocast.
    """

    def __init__(self, lm: Any, max_steps: int) -> None:
        from audiocraft.modules.transformer import create_sin_embedding

        self.lm = lm
        # `unsupported_reason` admitted only audiocraft's own layer and attention classes.
        layers: list[StreamingTransformerLayer] = list(lm.transformer.layers)
        weight = layers[0].self_attn.in_proj_weight
        self.device = weight.device
        self.dtype = lm.emb[0].weight.dtype  # the residual stream's
        self.half = weight.dtype == torch.float16  # compute under fp16 autocast, as audiocraft does on a GPU
        self.compute_dtype = torch.float16 if self.half else weight.dtype
        self.shape = Shape(dim=lm.dim, heads=layers[0].self_attn.num_heads, layers=len(layers), n_q=lm.n_q,
                           card=lm.card, delays=tuple(lm.pattern_provider.delays))
        self.layers = layers
        self.cross = layers[0].cross_attention is not None
        # Each layer's cross-attention, or none at all when the model attends to no text.
        self.cross_attentions = [cross_attention_of(layer) for layer in layers] if self.cross else []
        # audiocraft adds `positional_scale * create_sin_embedding(positions, dim, max_period,
        # dtype=x.dtype)` at every step, x being the embeddings' sum; the same elementwise
        # function over all positions once gives the same values. Its length is fixed by the
        # model, not by the batch, so no row's arithmetic depends on which other clips are
        # decoded with it.
        positions = torch.arange(max_steps + 1, device=self.device).view(1, -1, 1)
        table = create_sin_embedding(positions, self.shape.dim, max_period=lm.transformer.max_period,
                                     dtype=self.dtype)
        self.positions = (lm.transformer.positional_scale * table)[0]  # [max_steps + 1, dim]

    def autocast(self) -> ContextManager[object]:
        """fp16 autocast when the transformer's weights are float16, on any device (audiocraft
        enables it off the CPU, where its loader makes them float16). No weight cache: it
        would not survive CUDA graph capture."""
        if not self.half:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.float16, cache_enabled=False)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """[rows, n_q] token ids -> [rows, dim]: audiocraft's `sum(emb[k](sequence[:, k]))`, same order."""
        embedded: torch.Tensor = sum(self.lm.emb[k](tokens[:, k]) for k in range(self.shape.n_q))
        return embedded

    def heads(self, x: torch.Tensor) -> torch.Tensor:
        """[rows, dim] -> [rows, n_q, card] logits: out_norm, then one linear per codebook."""
        out = norm(self.lm.out_norm, x)
        return torch.stack([linear(out) for linear in self.lm.linears], dim=1)

    def cross_source(self, attributes: list[Any]) -> torch.Tensor:
        """[L, dim] cross-attention input for one prompt's attributes, computed alone.

        audiocraft's own tokenizer, conditioner and fuser run on a batch of one: the result
        is what `generate` uses for that prompt when it is alone in its call."""
        provider = self.lm.condition_provider
        tensors = provider(provider.tokenize(attributes))
        empty = torch.zeros(len(attributes), 0, self.shape.dim, device=self.device, dtype=self.dtype)
        source: torch.Tensor | None
        _, source = self.lm.fuser(empty, tensors)
        if source is None:  # no cross-attention: nothing to attend to
            return empty[0].to(self.compute_dtype)
        # The conditioner's dtype is its own (float32 weights, fp16 out of an autocast linear):
        # cross-attention computes in the transformer's, which is what its projections produce.
        return source[0].to(self.compute_dtype)

    @staticmethod
    def null_attributes(attributes: list[Any]) -> list[Any]:
        """The unconditional half of classifier-free guidance, built as `LMModel.generate` does."""
        from audiocraft.modules.conditioners import ClassifierFreeGuidanceDropout

        nulls: list[Any] = ClassifierFreeGuidanceDropout(p=1.0)(attributes)
        return nulls


def cross_attention_of(layer: StreamingTransformerLayer) -> StreamingMultiheadAttention:
    """The layer's cross-attention module (audiocraft types it as any module, or None)."""
    from audiocraft.modules.transformer import StreamingMultiheadAttention

    attn = layer.cross_attention
    if not isinstance(attn, StreamingMultiheadAttention):
        raise TypeError(f"cross-attention of type {type(attn).__name__}: the fast decoder checks models first")
    return attn


def norm(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """`module(x)` computed in float32, as CUDA's autocast runs layer_norm (it casts the input and
    the weights up): the same values on a GPU, and the CPU's autocast, which has no such rule,
    gets float16 weights with a float32 input to work too."""
    assert isinstance(module, nn.LayerNorm)  # audiocraft types its norms as any module; `unsupported_reason` checked
    weight = None if module.weight is None else module.weight.float()
    bias = None if module.bias is None else module.bias.float()
    return F.layer_norm(x.float(), module.normalized_shape, weight, bias, module.eps)
