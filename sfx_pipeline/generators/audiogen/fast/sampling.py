"""Sampling on the device with per-row parameters and per-row random numbers.

audiocraft's `_sample_next_token` applies one temperature, top_k, top_p and cfg_coef to a
whole call and draws with `torch.multinomial` from the global RNG, so a clip's tokens
depend on its batch. Here every one of those is a tensor over the rows, and the random
numbers come from a table each row filled from its own seeded generator when it took its
slot (`uniform_draws`). The filters keep audiocraft's definitions exactly:

- temperature: softmax(logits / temperature), the division in the logits' dtype;
- top_p > 0 (takes precedence, as in audiocraft): sort descending, drop a token when the
  mass before it exceeds p (`cumsum - p_sorted > p`), renormalise;
- else top_k > 0: keep every token whose probability is >= the k-th largest (ties kept);
- else the full distribution; a greedy row takes the argmax of the guided logits.

A token is then drawn by inverting the filtered CDF at the row's uniform u: the first
sorted index whose cumulative mass exceeds u * total. That has exactly the filtered
distribution, needs one uniform per (row, codebook) and no data-dependent shapes, so it
runs inside a CUDA graph.
"""

from __future__ import annotations

import torch


def filtered(probs: torch.Tensor, top_k: torch.Tensor, top_p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """probs [rows, n_q, card] -> (kept mass in descending order, unnormalised; the token ids of that order).

    top_k, top_p are [rows]; a row's filter is chosen as audiocraft chooses it."""
    card = probs.shape[-1]
    ordered, order = torch.sort(probs, dim=-1, descending=True)
    before = torch.cumsum(ordered, dim=-1) - ordered
    keep_p = before <= top_p[:, None, None]
    kth = ordered.gather(-1, (top_k.clamp(1, card) - 1)[:, None, None].expand(-1, probs.shape[1], 1))
    keep_k = ordered >= kth
    use_p = (top_p > 0)[:, None, None]
    use_k = (top_k > 0)[:, None, None]
    keep = torch.where(use_p, keep_p, torch.where(use_k, keep_k, torch.ones_like(keep_k)))
    return ordered * keep, order


def distribution(probs: torch.Tensor, top_k: torch.Tensor, top_p: torch.Tensor) -> torch.Tensor:
    """The renormalised filtered distribution in token order [rows, n_q, card] (what is sampled)."""
    kept, order = filtered(probs, top_k, top_p)
    kept = kept / kept.sum(dim=-1, keepdim=True)
    return torch.zeros_like(kept).scatter_(-1, order, kept)


def sample(logits: torch.Tensor, temperature: torch.Tensor, top_k: torch.Tensor, top_p: torch.Tensor,
           greedy: torch.Tensor, uniforms: torch.Tensor) -> torch.Tensor:
    """logits [rows, n_q, card] (guided) -> tokens [rows, n_q]; uniforms [rows, n_q] in [0, 1)."""
    with torch.profiler.record_function("fast/sampling"):
        # audiocraft divides in the logits' own dtype (fp16 on a GPU), then softmax runs in
        # float32 (autocast's rule for softmax); keep both roundings.
        scaled = (logits / temperature[:, None, None]).to(logits.dtype)
        probs = torch.softmax(scaled.float(), dim=-1)
        kept, order = filtered(probs, top_k, top_p)
        cdf = torch.cumsum(kept, dim=-1)
        target = (uniforms * cdf[..., -1])[..., None]
        # First index with cdf > target: cdf rises there, so that token has non-zero mass.
        index = torch.searchsorted(cdf, target, right=True).clamp_(max=logits.shape[-1] - 1)
        drawn = order.gather(-1, index)[..., 0]
        return torch.where(greedy[:, None], logits.argmax(dim=-1), drawn)


def uniform_draws(seed: int, steps: int, n_q: int, device: torch.device) -> torch.Tensor:
    """[steps, n_q] uniforms in [0, 1) from a generator seeded with this asset's seed alone.

    One generator call per asset when it takes its slot, rather than per row per step:
    torch's own generators (Philox on CUDA, Mersenne Twister on the CPU), one launch per
    asset, and the draws a row uses depend on nothing but its seed (and the device type)."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return torch.rand((steps, n_q), generator=generator, device=device)
