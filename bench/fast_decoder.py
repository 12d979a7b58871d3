"""Stock audiocraft `generate` against the fast decoder, on one model, in one run.

Writes the audiogen-medium architecture with random weights in audiocraft's release format and
loads it through the product's loader (on CUDA: audiocraft's float16/float32 layout), then for each batch size B generates B clips with both engines, end to end
(text conditions, decoding, EnCodec), after a warm-up, and prints a markdown table: ms per
decoding step, seconds per clip, seconds of audio per second of wall time, peak GPU memory
and the speed-up. `--profile` adds where the fast decoder's time goes; `--parity` compares
it with audiocraft on this device and dtype (teacher-forced logits, and how many tokens of
an asset stay the same alone and among 8 or 64 others).

    python bench/fast_decoder.py                                  # H100/H200: medium, B = 1..256, 5 s
    python bench/fast_decoder.py --sizes 1,16 --seconds 2 --profile --parity
    python bench/fast_decoder.py --device cpu --size tiny         # the same code, checked on a CPU

A benchmark harness, never the product: where xformers or spacy are not installed it puts
stand-ins for them first on sys.path (audiocraft imports both at module level; on the
inference path it calls only `xformers.ops.unbind`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # support.random_checkpoint: test and benchmark models, not shipped

from standins import install_stand_ins  # noqa: E402 - after the path set-up above


def build_model(size_name: str, device: str, folder: Path | None = None) -> Any:
    """An AudioGen of the given architecture with random weights, loaded as users load theirs.

    The weights are written in audiocraft's release format (float16, as the released
    audiogen-medium), then loaded by the product's own loader at the precision a build would
    use on `device`: on a GPU, audiocraft's mixed layout (float16 transformer, float32
    embeddings, heads and conditioner), never a model converted by hand."""
    from sfx_pipeline.generators.audiogen import loading
    from sfx_pipeline.report import QuietReporter
    from support.random_checkpoint import Size, write

    size = Size.medium() if size_name == "medium" else Size.tiny()
    folder = folder or Path(tempfile.mkdtemp(prefix=f"sfx-bench-{size_name}-"))
    if not (folder / "state_dict.bin").is_file():
        write(folder, size, half=True)
    return loading.load(str(folder), device, QuietReporter()).model


@dataclass
class Row:
    batch: int
    engine: str
    seconds: float  # wall time of the whole generation
    steps: int
    audio: float  # seconds of audio per clip
    peak: float | None  # GiB

    @property
    def ms_per_step(self) -> float:
        return 1000 * self.seconds / self.steps

    @property
    def per_clip(self) -> float:
        return self.seconds / self.batch

    @property
    def throughput(self) -> float:
        return self.batch * self.audio / self.seconds


class Clock:
    """Wall time of a block with the device drained at both ends, and the peak memory inside it."""

    def __init__(self, device: str) -> None:
        import torch

        self.torch, self.cuda = torch, device == "cuda"

    def __enter__(self) -> Clock:
        if self.cuda:
            self.torch.cuda.synchronize()
            self.torch.cuda.reset_peak_memory_stats()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.cuda:
            self.torch.cuda.synchronize()
        self.seconds = time.perf_counter() - self.start
        self.peak = self.torch.cuda.max_memory_allocated() / 2**30 if self.cuda else None


def prompts(batch: int) -> list[str]:
    return [f"sound effect number {i}" for i in range(batch)]


def time_stock(model: Any, batch: int, frames: int, device: str) -> Row:
    import torch

    model.set_generation_params(duration=(frames + 0.5) / model.frame_rate)  # sampling, top_k 250, cfg 3
    with torch.inference_mode(), Clock(device) as clock:
        audio = model.generate(prompts(batch))
    assert audio.shape[0] == batch
    return Row(batch, "stock", clock.seconds, frames + 3, frames / model.frame_rate, clock.peak)


def time_fast(decoder: Any, batch: int, frames: int, device: str) -> Row:
    from sfx_pipeline.generators.audiogen.fast.scheduler import Request

    requests = [Request(i, p, frames, seed=i) for i, p in enumerate(prompts(batch))]
    list(decoder.generate(requests, slots=batch))  # warm-up: buffers, CUDA graphs, text conditions
    with Clock(device) as clock:
        done = list(decoder.generate(requests, slots=batch))
    assert len(done) == batch
    return Row(batch, "fast", clock.seconds, frames + 3, frames / decoder.model.frame_rate, clock.peak)


def table(rows: list[Row]) -> str:
    stock = {r.batch: r for r in rows if r.engine == "stock"}
    lines = ["| B | engine | ms/step | s/clip | audio-s per s | peak GiB | speed-up (stock / fast) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        peak = f"{r.peak:.1f}" if r.peak is not None else "-"
        ratio = f"{stock[r.batch].seconds / r.seconds:.1f}x" if r.engine == "fast" and r.batch in stock else ""
        lines.append(f"| {r.batch} | {r.engine} | {r.ms_per_step:.1f} | {r.per_clip:.3f} | {r.throughput:.1f} "
                     f"| {peak} | {ratio} |")
    return "\n".join(lines)


def profile(model: Any, batch: int, frames: int, device: str, exact: bool | None) -> str:
    """Where an eager fast step's time goes (the same kernels a graph replays), and EnCodec's share."""
    import torch
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity

    from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder
    from sfx_pipeline.generators.audiogen.fast.scheduler import Request

    cuda = device == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    eager = FastDecoder(model, exact=exact, graphs=False)  # graph replays hide which range launched a kernel
    requests = [Request(i, p, frames, seed=i) for i, p in enumerate(prompts(batch))]
    tokens = list(eager.generate(requests, slots=batch, audio=False))  # warm-up, and codes for EnCodec
    codes = torch.stack([torch.from_numpy(c) for _, c in tokens]).to(device)
    with torch.profiler.profile(activities=activities) as lm_prof:
        list(eager.generate(requests, slots=batch, audio=False))
        if cuda:
            torch.cuda.synchronize()
    with torch.profiler.profile(activities=activities) as encodec_prof, torch.inference_mode():
        model.generate_audio(codes)
        if cuda:
            torch.cuda.synchronize()
    eager.release()

    def busy(prof: Any) -> tuple[float, int]:
        """Device kernel time (CPU op time on a CPU) in microseconds, and the kernel count."""
        if cuda:
            kernels = [e for e in prof.events() if e.device_type == DeviceType.CUDA]
            return sum(e.time_range.elapsed_us() for e in kernels), len(kernels)
        return sum(e.self_cpu_time_total for e in prof.key_averages() if not e.key.startswith("fast/")), 0

    steps = frames + 3
    lm_total, lm_kernels = busy(lm_prof)
    encodec_total, _ = busy(encodec_prof)
    spans = {e.key: (e.device_time_total if cuda else e.cpu_time_total) for e in lm_prof.key_averages()}
    parts = {name: spans.get(f"fast/{name}", 0.0) for name in ("attention", "ffn", "sampling")}
    parts["other: projections, norms, heads, cache writes"] = max(0.0, lm_total - sum(parts.values()))
    parts["EnCodec (all clips)"] = encodec_total
    total = lm_total + encodec_total
    clock = "kernel" if cuda else "CPU op"
    lines = [f"Profile: fast decoder without graphs (the kernels a graph replays), B = {batch}, {steps} steps, "
             f"{clock} time", ""]
    if cuda:
        lines.append(f"- kernels per decoding step: {lm_kernels / steps:.0f}")
    lines.append(f"- {clock} time per decoding step: {lm_total / steps / 1000:.2f} ms; EnCodec per clip: "
                 f"{encodec_total / batch / 1000:.2f} ms")
    lines += [f"- {name}: {us / 1000:.1f} ms ({100 * us / max(total, 1e-9):.0f} %)" for name, us in parts.items()]
    return "\n".join(lines)


def parity(model: Any, frames: int, device: str, exact: bool | None) -> str:
    """Fast decoder against audiocraft on this device and dtype: teacher-forced logits at every
    step, and how many of an asset's tokens stay the same alone and in batches of 8 and 64."""
    import random

    import torch
    from audiocraft.modules.conditioners import ClassifierFreeGuidanceDropout

    from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder
    from sfx_pipeline.generators.audiogen.fast.scheduler import Request

    lm, batch, cfg = model.lm, 4, 3.0
    names = prompts(batch)
    codes = torch.randint(0, lm.card, (batch, lm.n_q, frames), generator=torch.Generator().manual_seed(0)).to(device)
    decoder = FastDecoder(model, exact=exact)
    requests = [Request(i, p, frames, seed=0, cfg_coef=cfg, greedy=True) for i, p in enumerate(names)]
    fast = decoder.teacher_forced(requests, codes).float()
    attributes, _ = model._prepare_tokens_and_attributes(names, None)
    both = attributes + ClassifierFreeGuidanceDropout(p=1.0)(attributes)
    sequence, _, _ = lm.pattern_provider.get_pattern(frames).build_pattern_sequence(codes, lm.special_token_id)
    sequence = torch.cat([sequence, sequence])
    steps = []
    with torch.inference_mode(), model.autocast:  # audiocraft's generation path, as `generate` runs it
        conditions = lm.condition_provider(lm.condition_provider.tokenize(both))
        with lm.streaming():
            for s in range(sequence.shape[-1] - 1):
                cond, uncond = lm(sequence[..., s:s + 1], [], conditions)[:, :, -1].split(batch)
                steps.append((uncond + (cond - uncond) * cfg).float())
    reference = torch.stack(steps, dim=1)
    error = (fast - reference).abs()
    agree = (fast.argmax(-1) == reference.argmax(-1)).float().mean().item()

    rng = random.Random(7)
    mixed = [Request(f"a{i}", f"prompt {i % 13}", rng.randint(frames // 4, frames), seed=10_000 + i,
                     temperature=rng.choice([0.7, 1.0, 1.4]), top_k=rng.choice([0, 40, 250]),
                     top_p=rng.choice([0.0, 0.0, 0.8]), cfg_coef=rng.choice([1.0, 3.0, 4.5])) for i in range(64)]
    watched = mixed[:8]
    alone = {r.id: next(decoder.generate([r], slots=1, audio=False))[1] for r in watched}
    in_8 = {r.id: c for r, c in decoder.generate(watched, slots=8, audio=False)}
    in_64 = {r.id: c for r, c in decoder.generate(mixed, slots=64, audio=False)}
    decoder.release()

    def share(batched: dict) -> str:
        same = sum(int((alone[r.id] == batched[r.id]).sum()) for r in watched)
        whole = sum(int((alone[r.id] == batched[r.id]).all()) for r in watched)
        return f"{100 * same / sum(alone[r.id].size for r in watched):.1f} % of tokens, {whole}/8 assets whole"

    dtype = lm.transformer.layers[0].self_attn.in_proj_weight.dtype
    return "\n".join([
        f"Parity, {dtype}, {frames + 3} steps, B = {batch}, cfg {cfg}, fast decoder "
        + ("exact" if decoder.exact else "bucketed") + ":", "",
        f"- teacher-forced guided logits vs audiocraft streaming: max |diff| {error.max().item():.3g}, "
        f"mean |diff| {error.mean().item():.3g}, max |logit| {reference.abs().max().item():.3g}; "
        f"same argmax at {100 * agree:.2f} % of (step, codebook)",
        f"- sampled tokens of 8 assets alone vs among 8: {share(in_8)}",
        f"- sampled tokens of 8 assets alone vs among 64: {share(in_64)}",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--size", default=None, choices=("medium", "tiny"), help="default: medium on cuda, tiny on cpu")
    parser.add_argument("--sizes", default="1,4,16,64,256", help="batch sizes B, comma-separated")
    parser.add_argument("--seconds", type=float, default=5.0, help="clip length")
    parser.add_argument("--no-stock", action="store_true", help="time only the fast decoder")
    parser.add_argument("--bucketed", action="store_true",
                        help="on a CPU, run the fast decoder's GPU layout instead of its exact (batch-invariant) one")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch CPU threads (0: torch's default); 1 keeps a shared machine's timings stable")
    parser.add_argument("--profile", action="store_true", help="also profile the fast decoder")
    parser.add_argument("--profile-batch", type=int, default=0, help="B for --profile (default: the largest B)")
    parser.add_argument("--parity", action="store_true", help="also compare with audiocraft on this device and dtype")
    args = parser.parse_args(argv)
    stand_ins = install_stand_ins()

    import torch

    from sfx_pipeline.generators.audiogen.fast.decoder import FastDecoder

    if args.threads:
        torch.set_num_threads(args.threads)
    size = args.size or ("medium" if args.device == "cuda" else "tiny")
    started = time.perf_counter()
    model = build_model(size, args.device)
    card = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    print(f"{size} architecture, random weights, transformer {model.lm.transformer.layers[0].self_attn.in_proj_weight.dtype} on {card}; torch "
          f"{torch.__version__}, {torch.get_num_threads()} CPU threads; built in {time.perf_counter() - started:.0f} s"
          + (f"; stand-ins for {', '.join(stand_ins)}" if stand_ins else ""), flush=True)
    frames = int(round(args.seconds * model.frame_rate))
    exact = False if args.bucketed else None  # None: the decoder's default for the device
    decoder = FastDecoder(model, exact=exact)
    time_stock(model, 1, 2, args.device)  # warm-up: allocator, kernels, pattern caches
    rows: list[Row] = []
    for batch in (int(b) for b in args.sizes.split(",")):
        if not args.no_stock:
            decoder.release()  # the fast buffers must not count in the stock run's memory
            if args.device == "cuda":
                torch.cuda.empty_cache()
            rows.append(time_stock(model, batch, frames, args.device))
            print(f"stock B={batch}: {rows[-1].seconds:.2f} s", flush=True)
        rows.append(time_fast(decoder, batch, frames, args.device))
        print(f"fast  B={batch}: {rows[-1].seconds:.2f} s", flush=True)
    print()
    print(f"{args.seconds:g} s clips ({frames} frames, {frames + 3} decoding steps), end to end including "
          "text conditions and EnCodec; fast decoder "
          + ("with CUDA graphs" if decoder.use_graphs else "eager") + (", exact mode" if decoder.exact else ""))
    print()
    print(table(rows))
    decoder.release()
    if args.profile:
        print()
        batch = args.profile_batch or max(int(b) for b in args.sizes.split(","))
        print(profile(model, batch, frames, args.device, exact))
    if args.parity:
        print()
        print(parity(model, frames, args.device, exact))
    return 0


if __name__ == "__main__":
    sys.exit(main())
