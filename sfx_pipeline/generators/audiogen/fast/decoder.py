"""The fast decoder: requests in, each asset's audio out as soon as it is decoded.

    decoder = FastDecoder(audiogen_model)          # once per loaded model; copies no weights
    for request, audio in decoder.generate(requests, slots=64):
        ...                                         # audio: float32 [samples] at the model's rate

The loop: admit waiting assets into free slots (their text keys projected once, their
random draws made from their own seed), step every slot (a CUDA graph replay on CUDA),
and hand finished rows to EnCodec, which runs beside the next steps. Buffers for a run
shape are kept for the next run of the same shape (a `watch` rebuild), graphs included.

`generate` runs that loop over a list fixed at the start. Its pieces (`source`,
`null_source`, `texts`, `session_for`, `advance`, `model_steps`) are public for a loop that owns its
scheduler and lets requests join a run in progress: the server's (`serve/open_decoder.py`).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import numpy as np
import torch

from sfx_pipeline.generators.audiogen.fast.audio import AudioDecoder
from sfx_pipeline.generators.audiogen.fast.model import FastLM, unsupported_reason
from sfx_pipeline.generators.audiogen.fast.sampling import uniform_draws
from sfx_pipeline.generators.audiogen.fast.scheduler import Request, Scheduler
from sfx_pipeline.generators.audiogen.fast.session import BUCKET, Layout, Session, round_up
from sfx_pipeline.generators.audiogen.fast.slots import delayed_columns

Progress = Callable[[int, int], None]


class FastDecoder:
    def __init__(self, model: Any, exact: bool | None = None, graphs: bool | None = None) -> None:
        """`model`: a loaded audiocraft AudioGen. `exact`: batch-invariant arithmetic (default:
        on the CPU). `graphs`: CUDA graphs (default: on CUDA)."""
        reason = unsupported_reason(model.lm)
        if reason is not None:
            raise ValueError(f"the fast decoder cannot run this model: {reason}")
        self.model = model
        self.max_frames = int(model.max_duration * model.frame_rate)
        device = next(model.lm.parameters()).device
        self.exact = device.type == "cpu" if exact is None else exact
        self.use_graphs = device.type == "cuda" if graphs is None else graphs
        self.model_steps = self.max_frames + max(model.lm.pattern_provider.delays)
        self.lm = FastLM(model.lm, round_up(self.model_steps + 1, BUCKET))
        self._sources: dict[str, torch.Tensor] = {}
        self._null: torch.Tensor | None = None
        self._session: Session | None = None

    # the public loop -------------------------------------------------------------------

    def generate(self, requests: list[Request], slots: int, progress: Progress | None = None,
                 audio: bool = True) -> Iterator[tuple[Request, np.ndarray]]:
        """Yields (request, audio [samples]) as each asset's audio is decoded, or with
        audio=False (request, codes [n_q, frames]) as each asset's tokens are complete."""
        too_long = [r for r in requests if not 0 < r.frames <= self.max_frames]
        if too_long:
            raise ValueError(f"the fast decoder makes clips of 1 to {self.max_frames} frames, not {too_long[0].frames}")
        if not requests:
            return
        with torch.inference_mode():
            session, sources = self._prepare(requests, slots)
        # Exact mode may allocate more slots than asked (whole tiles); only `slots` are used.
        scheduler = Scheduler(requests, min(max(1, slots), session.layout.slots), self.lm.shape.max_delay)
        decoder = AudioDecoder(self.model, self.exact) if audio else None
        while not scheduler.finished or (decoder is not None and decoder.busy):
            # Inference mode is entered per chunk of work, not held across `yield`: a suspended
            # generator must not leave the caller's thread in inference mode.
            with torch.inference_mode():
                ready = self.advance(session, scheduler, sources, decoder, progress)
            yield from ready

    # the work between two yields (public: see the module docstring) -------------------------

    def _prepare(self, requests: list[Request], slots: int) -> tuple[Session, dict[str, torch.Tensor]]:
        sources, longest_text = self.texts(requests)
        longest = max(self.lm.shape.steps(r.frames) for r in requests)
        layout = Layout.plan(max(1, min(slots, len(requests))), longest, self.model_steps, longest_text, self.exact)
        return self.session_for(layout), sources

    def texts(self, requests: list[Request]) -> tuple[dict[str, torch.Tensor], int]:
        """Each prompt's text source, and the longest length the text buffers must hold (the
        unconditional source included: classifier-free guidance attends to it too)."""
        sources = {r.prompt: self.source(r.prompt) for r in requests}
        return sources, max([s.shape[0] for s in sources.values()] + [self.null_source().shape[0]])

    def advance(self, session: Session, scheduler: Scheduler, sources: dict[str, torch.Tensor],
                 decoder: AudioDecoder | None, progress: Progress | None) -> list[tuple[Request, Any]]:
        """Step until some audio is ready (or, without audio, some tokens are complete)."""
        device = self.lm.device
        while not scheduler.finished:
            placed = scheduler.admit()
            if placed:
                draws = [uniform_draws(r.seed, self.lm.shape.steps(r.frames), self.lm.shape.n_q, device)
                         for _, r in placed]
                session.admit(placed, [sources[r.prompt] for _, r in placed], draws)
            session.step(session.layout.attention_length(scheduler.longest_context()))
            finished = scheduler.step()
            if progress is not None:
                progress(scheduler.steps_done, scheduler.total_steps)
            if finished:
                done = [(request, session.state.codes(slot, request.frames)) for slot, request in finished]
                if decoder is None:
                    return [(request, codes.cpu().numpy()) for request, codes in done]
                decoder.submit(done)
            ready = decoder.ready() if decoder is not None else []
            if ready:
                return ready
        return decoder.ready(wait=True) if decoder is not None else []

    def release(self) -> None:
        """Drop the run buffers and graphs (after running out of memory, say); the next run makes new ones."""
        self._session = None

    # buffers and conditions --------------------------------------------------------------

    def session_for(self, layout: Layout) -> Session:
        if self._session is None or self._session.layout != layout:
            self._session = None  # free the old buffers (and graphs) before allocating new ones
            self._session = Session(self.lm, layout, self.null_source(), self.use_graphs)
        else:
            self._session.state.reset()
        return self._session

    def _attributes(self, prompt: str) -> list[Any]:
        attributes: list[Any]  # audiocraft's ConditioningAttributes, one per prompt
        attributes, _ = self.model._prepare_tokens_and_attributes([prompt], None)
        return attributes

    def source(self, prompt: str) -> torch.Tensor:
        """The prompt's cross-attention input, computed alone and remembered (T5 runs once per prompt)."""
        if prompt not in self._sources:
            with self._autocast():
                self._sources[prompt] = self.lm.cross_source(self._attributes(prompt))
        return self._sources[prompt]

    def null_source(self) -> torch.Tensor:
        if self._null is None:
            with self._autocast():
                self._null = self.lm.cross_source(self.lm.null_attributes(self._attributes("")))
        return self._null

    def _autocast(self) -> Any:
        return self.lm.autocast()

    # for parity checks -------------------------------------------------------------------

    def teacher_forced(self, requests: list[Request], codes: torch.Tensor) -> torch.Tensor:
        """Guided logits [B, steps, n_q, card] when every step is fed `codes` [B, n_q, T] in
        audiocraft's delay pattern, instead of what was sampled: what the model predicts at each step."""
        with torch.inference_mode():
            session, sources = self._prepare(requests, len(requests))
            placed = list(enumerate(requests))
            steps = self.lm.shape.steps(codes.shape[-1])
            draws = [torch.zeros(steps, self.lm.shape.n_q, device=self.lm.device) for _ in requests]
            session.admit(placed, [sources[r.prompt] for r in requests], draws)
            columns = delayed_columns(codes.to(self.lm.device), self.lm.shape.delays, self.lm.shape.card)
            state, batch, out = session.state, len(requests), []
            for step in range(steps):
                state.tokens[:batch] = columns[:, step]
                with session.autocast():
                    out.append(session.guided_logits(session.layout.attention_length(step + 1))[:batch].clone())
                state.positions[:batch] += 1
            return torch.stack(out, dim=1)
