"""Generator backends: a registry dict, and how `auto` picks one (the Protocol is in `base`).

A backend turns jobs (a spec and its generation key) into raw float32 mono audio at its
own rate. It owns batching because only it knows what can share a batch and how much fits
on its device; it yields each result as soon as it exists, so the build can cache and
install finished assets while the rest are still generating.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

# The backend interface lives in `base`; re-exported here for the registry's callers.
from sfx_pipeline.generators.base import Context, Generated, Generator, Job
from sfx_pipeline.report import Reporter

if TYPE_CHECKING:
    from sfx_pipeline.sound import SoundSpec, Target

__all__ = ["AUTO_ORDER", "FALLBACK", "REGISTRY", "Context", "Factory", "Generated", "Generator", "Generators", "Job",
           "Unavailable"]


# Factories import their heavy modules lazily, so the CLI starts without torch.
# (context, model, identity) -> backend; `identity` pins what the model is taken to be, for
# judging sounds a real model made elsewhere on a machine that cannot load that model.
Factory = Callable[[Context, str, "str | None"], Generator]
# Why the backend cannot run here, or None when it can; "" when it is not set up at all (not worth a mention).
Unavailable = Callable[[Context, str], "str | None"]


def _procedural(ctx: Context, model: str, identity: str | None = None) -> Generator:
    from sfx_pipeline.generators.procedural.backend import ProceduralGenerator

    return ProceduralGenerator()


def _audiogen(ctx: Context, model: str, identity: str | None = None) -> Generator:
    from sfx_pipeline.generators.audiogen.backend import AudioGenGenerator

    return AudioGenGenerator(ctx, model, identity)


def _audiogen_unavailable(ctx: Context, model: str) -> str | None:
    from sfx_pipeline.generators.audiogen.availability import unavailable_reason

    return unavailable_reason(model, ctx.settings["device"], for_auto=True)


def _remote(ctx: Context, model: str, identity: str | None = None) -> Generator:
    from sfx_pipeline.remote.backend import RemoteGenerator

    return RemoteGenerator(ctx, model, identity)


def _remote_unavailable(ctx: Context, model: str) -> str | None:
    from sfx_pipeline.remote.backend import unavailable_reason

    return unavailable_reason(ctx, model)


REGISTRY: dict[str, Factory] = {"procedural": _procedural, "audiogen": _audiogen, "remote": _remote}
# Local AudioGen first (no network), then the team's server, then placeholders.
AUTO_ORDER: list[tuple[str, Unavailable]] = [("audiogen", _audiogen_unavailable), ("remote", _remote_unavailable)]
FALLBACK = "procedural"


class Generators:
    """The backends of one process: each is created once and reused (a loaded model stays loaded)."""

    def __init__(self, settings: dict[str, Any], cache_dir: Path, reporter: Reporter) -> None:
        self.context = Context(settings, cache_dir, reporter)
        self._made: dict[tuple[str, str], Generator] = {}
        self._auto: dict[str, str] = {}  # model -> resolved backend name
        self._reasons: dict[str, str] = {}  # model -> why auto fell back to placeholders
        self._short: dict[str, str] = {}  # the same, each backend's reason without its parenthesised detail
        self._chosen: dict[str, str] = {}  # model -> the real backend auto picked
        self._pinned: dict[tuple[str, str, str], Generator] = {}

    def for_spec(self, spec: SoundSpec) -> Generator:
        name = self.resolve(spec.backend, spec.model)
        model = spec.model if name != FALLBACK else ""
        if (name, model) not in self._made:
            self._made[(name, model)] = REGISTRY[name](self.context, spec.model, None)
        return self._made[(name, model)]

    def pinned(self, name: str, model: str, identity: str) -> Generator:
        """Backend `name` for `model`, taken to be `identity` (as recorded in the lock) without
        looking at weights: how sounds made on a GPU machine are judged on a laptop."""
        key = (name, model, identity)
        if key not in self._pinned:
            self._pinned[key] = REGISTRY[name](self.context, model, identity)
        return self._pinned[key]

    def promise(self, t: Target) -> str:
        """The lock's sentence on `t`'s backend (`Generator.reproducibility`) for a sound
        nothing generated in this process: what the backend says as it stands now. "" for a
        sound judged by a model this machine lacks: it has nothing to say about that one."""
        generator = self.for_spec(t.spec)
        return generator.reproducibility() if generator.name == t.backend else ""

    def why_not(self, model: str) -> str:
        """Why `auto` did not pick a real model for `model` here ("" if it did)."""
        return self._reasons.get(model, "")

    def resolve(self, requested: str, model: str) -> str:
        if requested != "auto":
            return requested
        if model not in self._auto:
            self._auto[model] = self._pick(model)
        return self._auto[model]

    def _pick(self, model: str) -> str:
        # Silent: `status` and no-op builds have nothing to say about it. A build that makes
        # placeholders says why once, through `auto_note`.
        reasons = []
        for name, unavailable in AUTO_ORDER:
            reason = unavailable(self.context, model)
            if reason is None:
                self._chosen[model] = name
                return name
            if reason:
                reasons.append(f"{name}: {reason}")
        self._reasons[model] = "; ".join(reasons)
        # Shortened one by one: a pattern run over the joined text would cut from the first
        # backend's detail to the end and drop the others' reasons.
        self._short[model] = "; ".join(re.sub(r" \(fix: .*?\)$| \(.*?\)$", "", r) for r in reasons)
        return FALLBACK

    def loaded_names(self) -> list[tuple[str, str]]:
        """(backend, model) of every backend made in this process."""
        return list(self._made)

    def auto_choices(self) -> dict[str, str]:
        """model -> the backend `auto` chose for it in this process."""
        return dict(self._auto)

    def auto_note(self, full: bool = False) -> str:
        """One line on what `auto` chose here and, for placeholders, why ("" when nothing was
        resolved): the short reason, or with `full` each reason with its fix."""
        if not self._reasons:
            return "; ".join(f"backend auto: using {name} ({model})" for model, name in sorted(self._chosen.items()))
        reasons = sorted(set(self._reasons.values()))
        if not full:
            reasons = list(self._short.values())
            return (f"backend auto: using {FALLBACK} placeholders ({'; '.join(sorted(set(reasons)))}); "
                    "`sfx-pipeline doctor` says how to fix it")
        return (f"backend auto: using {FALLBACK} placeholders; {'; '.join(reasons)}. "
                "Placeholders regenerate by themselves once a build runs where AudioGen can load.")

    def loaded(self) -> list[Generator]:
        return list(self._made.values())
