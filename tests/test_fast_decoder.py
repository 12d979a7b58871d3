"""The fast decoder against audiocraft itself, on the same random weights, float32 on the CPU.

Parity is checked where it is meaningful: logits under teacher forcing at every step, and
greedy tokens for whole clips. Sampled tokens cannot match token for token: audiocraft draws
them with torch.multinomial from the global generator (`LMModel._sample_next_token` in
audiocraft/models/lm.py, `multinomial` in audiocraft/utils/utils.py), the fast decoder from
each sound's own stream; so they are checked for batch independence, and the sampling
filters against audiocraft's own functions.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from sfx_pipeline.generators.audiogen.fast import sampling
from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder
from sfx_pipeline.generators.audiogen.fast.model import unsupported_reason
from sfx_pipeline.generators.audiogen.fast.scheduler import Request, Scheduler
from sfx_pipeline.generators.audiogen.fast.slots import delayed_columns
from support import random_checkpoint
from support.random_checkpoint import Size

# Deeper and wider than Size.tiny(), still a fraction of a second per clip on a CPU: enough
# layers for rounding differences to accumulate the way they would in a real model.
SMALL = Size(dim=64, num_layers=6, num_heads=4, card=512)
PROMPTS = ["dog barking", "rain on a tin roof", "door creak", "laser blast"]

# Teacher-forced logits, float32. The fast decoder and audiocraft compute the same
# functions in different orders: a [rows, dim] GEMM per step against one [rows * T, dim]
# GEMM (compute_predictions) or a growing concatenated cache (streaming), masked attention
# over a longer cache against exact-length attention. Each reorders float32 sums (eps
# 1.2e-7), so guided logits of magnitude ~7 (CFG 3 amplifies the rounding of both halves)
# carry a few 1e-6 of it. audiocraft's own two paths disagree with each other by as much
# (measured 4.5e-6 tiny, 6.4e-6 small); the fast decoder differs from them by at most 9.3e-6.
# 3e-5 is ~3x that, ~60 ulp at |logit| = 7, and far below what a real mistake does (a
# position off by one, a missing mask, a wrong scale or weight: 1e-2 and more).
LOGIT_TOLERANCE = 3e-5


def load(folder: Path) -> Any:
    from audiocraft.models import AudioGen

    return AudioGen.get_pretrained(str(folder), device="cpu")


@pytest.fixture(scope="module", params=["tiny", "small"])
def model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    size = Size.tiny() if request.param == "tiny" else SMALL
    return load(random_checkpoint.write(tmp_path_factory.mktemp(request.param), size))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return load(random_checkpoint.write(tmp_path_factory.mktemp("tiny-one")))


def audiocraft_conditions(model: Any, prompts: list[str]) -> dict:
    """What `LMModel.generate` feeds the model: the prompts, then as many null conditions."""
    from audiocraft.modules.conditioners import ClassifierFreeGuidanceDropout

    attributes, _ = model._prepare_tokens_and_attributes(prompts, None)
    both = attributes + ClassifierFreeGuidanceDropout(p=1.0)(attributes)
    return model.lm.condition_provider(model.lm.condition_provider.tokenize(both))


def guided(logits: torch.Tensor, batch: int, cfg_coef: float) -> torch.Tensor:
    cond, uncond = logits.split(batch)
    return uncond + (cond - uncond) * cfg_coef


def audiocraft_streamed(model: Any, prompts: list[str], codes: torch.Tensor, cfg_coef: float = 3.0) -> torch.Tensor:
    """Guided logits [B, steps, n_q, card] from audiocraft's generation path (streaming, one
    pattern column per call, both CFG halves in one forward), fed `codes` [B, n_q, T]."""
    lm, batch = model.lm, len(prompts)
    conditions = audiocraft_conditions(model, prompts)
    pattern = lm.pattern_provider.get_pattern(codes.shape[-1])
    sequence, _, _ = pattern.build_pattern_sequence(codes, lm.special_token_id)
    sequence = torch.cat([sequence, sequence])
    with torch.no_grad(), lm.streaming():
        return torch.stack([guided(lm(sequence[..., s:s + 1], [], conditions)[:, :, -1], batch, cfg_coef)
                            for s in range(sequence.shape[-1] - 1)], dim=1)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "bucketed"])
def test_teacher_forced_logits_match_audiocraft_at_every_step(model: Any, exact: bool) -> None:
    """Both layouts: exact (the CPU's) and bucketed, the GPU's code path (fused attention,
    attention lengths growing by BUCKET, one forward for all rows), here in float32."""
    lm, frames, batch = model.lm, 80, len(PROMPTS)  # 83 steps: attention crosses a bucket boundary
    codes = torch.randint(0, lm.card, (batch, lm.n_q, frames), generator=torch.Generator().manual_seed(1))
    requests = [Request(i, p, frames, seed=0, cfg_coef=3.0, greedy=True) for i, p in enumerate(PROMPTS)]
    fast = FastDecoder(model, exact=exact).teacher_forced(requests, codes)  # [B, steps, n_q, card]
    with torch.no_grad():  # audiocraft's training-style forward; logits realigned to the codes they predict
        whole = lm.compute_predictions(torch.cat([codes, codes]), [], audiocraft_conditions(model, PROMPTS),
                                       keep_only_valid_steps=False)
    reference = guided(whole.logits, batch, 3.0)  # [B, n_q, T, card]
    streamed = audiocraft_streamed(model, PROMPTS, codes)
    assert fast.shape == streamed.shape == (batch, frames + 3, lm.n_q, lm.card)
    # Step p predicts frame p - delay[q] of codebook q.
    delays = lm.pattern_provider.delays
    realigned = torch.stack([fast[:, torch.arange(frames) + delays[q], q] for q in range(lm.n_q)], dim=1)
    assert reference.abs().max() > 1.0  # logits of a real size, so the tolerance below means something
    assert (realigned - reference).abs().max() <= LOGIT_TOLERANCE
    assert (fast - streamed).abs().max() <= LOGIT_TOLERANCE


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "bucketed"])
def test_greedy_decoding_gives_audiocraft_tokens_for_whole_clips(model: Any, exact: bool) -> None:
    """Each prompt against audiocraft generating it alone, token for token.

    One exception is allowed, and proven rather than assumed: greedy decoding is ill-posed
    where audiocraft's own top two logits are closer than float32 rounding (the small model
    meets one such step in these 1,600 decisions: "dog barking", step 24, a gap of 2e-6;
    audiocraft itself picks the other token there when the prompt shares its call with
    three others). A clip may differ only from such a step on, and most must not differ."""
    frames = 100  # 2 s, 103 steps, classifier-free guidance at audiocraft's 3.0
    model.set_generation_params(use_sampling=False, cfg_coef=3.0, duration=(frames + 0.5) / 50)
    with torch.no_grad():
        expected = [model.generate([prompt], return_tokens=True)[1][0] for prompt in PROMPTS]
    requests = [Request(p, p, frames, seed=0, cfg_coef=3.0, greedy=True) for p in PROMPTS]
    got = dict(FastDecoder(model, exact=exact).generate(requests, slots=2, audio=False))  # two of them queue
    identical = 0
    for request, theirs in zip(requests, expected):
        ours = torch.from_numpy(got[request])
        if torch.equal(ours, theirs):
            identical += 1
            continue
        delays = model.lm.pattern_provider.delays
        step, q = min((t + delays[q], q) for q, t in (ours != theirs).nonzero().tolist())
        logits = audiocraft_streamed(model, [request.prompt], theirs[None])[0, step, q]
        frame = step - delays[q]
        gap = (logits[theirs[q, frame]] - logits[ours[q, frame]]).abs()
        assert gap <= LOGIT_TOLERANCE, f"{request.prompt}: differs at step {step} where audiocraft's margin is {gap}"
    assert identical >= len(PROMPTS) - 1


def mixed_requests(count: int) -> list[Request]:
    """Assets of different lengths and sampling parameters, as a real project has."""
    rng = random.Random(7)
    return [Request(f"asset{i}", f"prompt {i % 13}", rng.randint(5, 30), seed=10_000 + i,
                    temperature=rng.choice([0.7, 1.0, 1.4]), top_k=rng.choice([0, 40, 250]),
                    top_p=rng.choice([0.0, 0.0, 0.8]), cfg_coef=rng.choice([1.0, 3.0, 4.5]))
            for i in range(count)]


def test_an_asset_gets_the_same_tokens_alone_and_in_batches_of_8_and_64(tiny: Any) -> None:
    decoder = FastDecoder(tiny)
    requests = mixed_requests(64)
    watched = [requests[i] for i in (0, 5, 37, 63)]
    alone = {r.id: next(decoder.generate([r], slots=1, audio=False))[1] for r in watched}
    in_8 = dict((r.id, codes) for r, codes in decoder.generate(requests[:6] + watched[2:], slots=8, audio=False))
    # 64 assets through 12 slots: most start in a slot another asset just left.
    in_64 = dict((r.id, codes) for r, codes in decoder.generate(requests, slots=12, audio=False))
    assert len(in_8) == 8 and len(in_64) == 64
    for request in watched:
        assert alone[request.id].shape == (4, request.frames)
        assert (alone[request.id] == in_8[request.id]).all() and (alone[request.id] == in_64[request.id]).all()
    other = [codes for r, codes in in_64.items() if r not in alone]
    assert not any(codes.shape == alone["asset0"].shape and (codes == alone["asset0"]).all() for codes in other)


def test_logits_are_bit_identical_alone_and_in_batches_of_8_and_64(tiny: Any) -> None:
    """The mechanism behind batch independence, checked where sampling cannot hide it: the
    same row's logits, bit for bit, whatever the other rows are. (Without the fixed tiles
    of exact mode, a [2, d] and a [16, d] GEMM round differently and this fails.)"""
    decoder = FastDecoder(tiny)
    codes = torch.randint(0, tiny.lm.card, (64, 4, 12), generator=torch.Generator().manual_seed(9))
    requests = [Request(i, f"prompt {i}", 12, seed=i, cfg_coef=1.0 + i % 5) for i in range(64)]
    alone = decoder.teacher_forced(requests[:1], codes[:1])
    for count in (8, 64):
        assert torch.equal(decoder.teacher_forced(requests[:count], codes[:count])[:1], alone)


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "bucketed"])
def test_audio_is_encodec_of_each_assets_tokens(tiny: Any, exact: bool) -> None:
    """Rows finishing together are decoded together (bucketed: by length; exact: one by one)."""
    decoder = FastDecoder(tiny, exact=exact)
    requests = [Request(i, f"prompt {i}", frames, seed=i) for i, frames in enumerate([20, 20, 35, 20, 35])]
    tokens = dict(decoder.generate(requests, slots=5, audio=False))
    audio = dict(decoder.generate(requests, slots=5))
    for request in requests:
        with torch.no_grad():
            expected = tiny.generate_audio(torch.from_numpy(tokens[request])[None])[0, 0]
        assert audio[request].dtype == np.float32 and audio[request].shape == (request.frames * 320,)
        torch.testing.assert_close(torch.from_numpy(audio[request]), expected, rtol=1e-5, atol=1e-6)


def test_the_seed_alone_decides_the_draws(tiny: Any) -> None:
    decoder = FastDecoder(tiny)
    base = Request("a", "dog", 20, seed=1)
    same = next(decoder.generate([base], slots=1, audio=False))[1]
    again = next(decoder.generate([Request("b", "dog", 20, seed=1)], slots=1, audio=False))[1]
    other = next(decoder.generate([Request("c", "dog", 20, seed=2)], slots=1, audio=False))[1]
    assert (same == again).all() and not (same == other).all()


def audiocraft_filtered(probs: torch.Tensor, top_k: int, top_p: float, monkeypatch: pytest.MonkeyPatch) -> torch.Tensor:
    """The distribution audiocraft's own `sample_top_k` / `sample_top_p` hand to `multinomial`,
    put back in token order: their exact definitions, run, not re-implemented."""
    from audiocraft.utils import utils

    seen: list[torch.Tensor] = []
    real = utils.multinomial
    monkeypatch.setattr(utils, "multinomial", lambda p, num_samples: (seen.append(p.clone()), real(p, num_samples))[1])
    if top_p > 0:
        utils.sample_top_p(probs.clone(), top_p)
        _, order = torch.sort(probs, dim=-1, descending=True)  # the order sample_top_p sorted into
        return torch.zeros_like(probs).scatter_(-1, order, seen[0])
    if top_k > 0:
        utils.sample_top_k(probs.clone(), top_k)
        return seen[0]
    return probs


def test_filters_match_audiocraft_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [(1.0, 250, 0.0), (0.7, 40, 0.0), (1.3, 0, 0.9), (1.0, 0, 0.0), (0.5, 1, 0.0), (2.0, 250, 0.3)]
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(len(rows), 4, 512, generator=generator) * 3
    logits[1, 0, :10] = logits[1, 0, 0]  # ties at the top: top_k keeps every tied token, as audiocraft does
    temperature = torch.tensor([r[0] for r in rows])
    top_k = torch.tensor([r[1] for r in rows])
    top_p = torch.tensor([r[2] for r in rows])
    probs = torch.softmax(logits / temperature[:, None, None], dim=-1)
    ours = sampling.distribution(probs, top_k, top_p)
    for row, (temp, k, p) in enumerate(rows):
        expected = audiocraft_filtered(torch.softmax(logits[row] / temp, dim=-1), k, p, monkeypatch)
        torch.testing.assert_close(ours[row], expected, rtol=1e-6, atol=1e-7)
        assert ((ours[row] > 0) == (expected > 0)).all()  # the same support, exactly
    assert (ours[4] > 0).sum(dim=-1).tolist() == [1, 1, 1, 1]  # top_k = 1 is the argmax
    assert (ours[1, 0] > 0).sum() >= 10


def test_draws_follow_the_filtered_distribution() -> None:
    """Inverting the CDF at uniform draws samples exactly the filtered distribution."""
    logits = torch.randn(3, 1, 64, generator=torch.Generator().manual_seed(5)) * 2
    temperature, top_k, top_p = torch.tensor([1.0, 0.8, 1.2]), torch.tensor([0, 10, 0]), torch.tensor([0.0, 0.0, 0.7])
    draws = 40_000  # as many codebooks per row, all with the row's logits: one call, 40,000 draws a row
    uniforms = torch.rand(3, draws, generator=torch.Generator().manual_seed(6))
    tokens = sampling.sample(logits.expand(-1, draws, -1), temperature, top_k, top_p,
                             torch.zeros(3, dtype=torch.bool), uniforms)  # [3, draws]
    expected = sampling.distribution(torch.softmax(logits / temperature[:, None, None], -1), top_k, top_p)[:, 0]
    for row in range(3):
        counts = torch.bincount(tokens[row], minlength=64).double() / draws
        assert (counts[expected[row] == 0] == 0).all()  # never outside the filter
        # Binomial standard error of each frequency; 5 sigma over 64 tokens is a sure pass for a
        # correct sampler and a sure fail for a wrong temperature or filter.
        sigma = (expected[row].double() * (1 - expected[row].double()) / draws).sqrt()
        assert ((counts - expected[row].double()).abs() <= 5 * sigma + 1e-9).all()


def test_greedy_rows_take_the_argmax_beside_sampled_rows() -> None:
    logits = torch.randn(2, 4, 32, generator=torch.Generator().manual_seed(8))
    greedy = torch.tensor([True, False])
    tokens = sampling.sample(logits, torch.ones(2), torch.zeros(2, dtype=torch.long), torch.zeros(2), greedy,
                             torch.full((2, 4), 0.999))
    assert torch.equal(tokens[0], logits[0].argmax(-1))
    assert not torch.equal(tokens[1], logits[1].argmax(-1))  # u near 1 picks from the tail


def test_delay_pattern_columns_match_audiocraft(tiny: Any) -> None:
    lm = tiny.lm
    codes = torch.randint(0, lm.card, (2, lm.n_q, 9), generator=torch.Generator().manual_seed(2))
    expected, _, _ = lm.pattern_provider.get_pattern(9).build_pattern_sequence(codes, lm.special_token_id)
    ours = delayed_columns(codes, tuple(lm.pattern_provider.delays), lm.special_token_id)
    assert torch.equal(ours, expected[..., :-1].transpose(1, 2))  # the last column is only ever predicted


def test_the_decoder_reads_the_models_own_weights(tiny: Any) -> None:
    """No copy: changing an audiocraft parameter in place changes what the decoder computes."""
    decoder = FastDecoder(tiny)
    codes = torch.randint(0, tiny.lm.card, (1, 4, 5), generator=torch.Generator().manual_seed(4))
    request = [Request(0, "dog", 5, seed=0, greedy=True)]
    before = decoder.teacher_forced(request, codes)
    weight = tiny.lm.transformer.layers[1].linear2.weight
    with torch.no_grad():
        weight.mul_(2)
    try:
        after = decoder.teacher_forced(request, codes)
    finally:
        with torch.no_grad():
            weight.div_(2)
    assert (after - before).abs().max() > 1e-3
    own = {p.data_ptr() for p in tiny.lm.parameters()}
    assert decoder.lm.layers[0].self_attn.in_proj_weight.data_ptr() in own


def test_unsupported_architectures_are_named(tmp_path: Path) -> None:
    from audiocraft.models import builders
    from omegaconf import OmegaConf

    config = random_checkpoint.lm_config(Size.tiny())
    assert unsupported_reason(builders.get_lm_model(OmegaConf.create(config))) is None
    config["transformer_lm"]["positional_embedding"] = "rope"
    assert "positional embedding 'rope'" in unsupported_reason(builders.get_lm_model(OmegaConf.create(config)))
    config = random_checkpoint.lm_config(Size.tiny())
    config["transformer_lm"]["norm_first"] = False
    assert unsupported_reason(builders.get_lm_model(OmegaConf.create(config))) == "post-norm layers"


def test_a_layer_class_of_its_own_keeps_the_stock_decoder() -> None:
    # The fast decoder mirrors audiocraft's own layer's forward: a subclass may compute anything.
    from audiocraft.models import builders
    from audiocraft.modules.transformer import StreamingTransformerLayer
    from omegaconf import OmegaConf

    class Patched(StreamingTransformerLayer):
        pass

    lm = builders.get_lm_model(OmegaConf.create(random_checkpoint.lm_config(Size.tiny())))
    lm.transformer.layers[-1].__class__ = Patched
    assert unsupported_reason(lm) == "a transformer layer of type Patched"


def test_slots_are_reused_longest_first() -> None:
    requests = [Request("short", "a", 2, 0), Request("long", "b", 5, 0), Request("mid", "c", 3, 0)]
    scheduler = Scheduler(requests, slots=2, max_delay=3)
    assert [(s, r.id) for s, r in scheduler.admit()] == [(0, "long"), (1, "mid")]
    finished: list[tuple[int, str]] = []
    steps = 0
    while not scheduler.finished:
        scheduler.admit()
        steps += 1
        finished += [(s, r.id) for s, r in scheduler.step()]
    # mid (6 steps) frees slot 1 for short (5 steps); long (8 steps) ends first after all.
    assert finished == [(1, "mid"), (0, "long"), (1, "short")]
    assert steps == 11 and scheduler.steps_done == scheduler.total_steps == 8 + 6 + 5
