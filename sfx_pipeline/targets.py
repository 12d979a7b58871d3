"""Specs → targets: each sound's backend and keys, as the planner compares them to the lock.

Two refinements over computing `keys.target` for every spec:

- Memo. An unchanged descriptor whose backend has the same identity (version, model)
  reuses the keys computed last time; the fields behind them come from the lock entry,
  so the memo holds keys only and stays small. This is most of a no-op build's speed.
- No downgrades. With `backend = "auto"`, a laptop without AudioGen resolves to
  placeholders. A sound the lock says a real model made, whose output is on disk, is then
  judged by that model (taken to be the model the lock names), so it stays fresh instead
  of being replaced by a placeholder. Its target says why that model cannot run here
  (`Target.unavailable`); the plan decides what follows (pending, if it has changed).
  Missing outputs still get placeholders.

It reads no file: what is on disk comes in as an argument, and the memo is loaded by its caller.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from sfx_pipeline import schema
from sfx_pipeline.descriptor import Parsed
from sfx_pipeline.errors import ModelUnavailable, Problem
from sfx_pipeline.generators import REGISTRY, Generator, Generators
from sfx_pipeline.keys import identity, recalled, remembered, target
from sfx_pipeline.lock import Lock, LockEntry
from sfx_pipeline.sound import SoundSpec, Target
from sfx_pipeline.state import StatMemo


class Targets:
    def __init__(self, generators: Generators, memo: StatMemo) -> None:
        self.generators = generators
        self.memo = memo
        self._identities: dict[int, tuple[Generator, str]] = {}

    def make(self, parsed: Parsed, lock: Lock,
             disk: Mapping[str, str | None]) -> tuple[list[Target], list[Problem]]:
        """Targets for every spec whose backend can be named here; a backend that cannot
        (a hub model not downloaded while offline…) is a problem of that descriptor only.
        `disk`: the digest of what is at each output path, None where nothing is."""
        by_file: dict[str, list[SoundSpec]] = {}
        for spec in parsed.specs:
            by_file.setdefault(spec.descriptor, []).append(spec)
        made: list[Target] = []
        problems: list[Problem] = []
        self.memo.keep_only(set(by_file))  # forget descriptors that are gone or broken
        for shown, specs in by_file.items():
            try:
                made += self._for_file(shown, specs, parsed.stats.get(shown), lock, disk)
            except ModelUnavailable as exc:
                problems.append(Problem(shown, schema.dotted([specs[0].entry, "generation"]) if specs[0].entry
                                        else "generation", f"{specs[0].backend} backend: {exc.message}", exc.hint))
        return made, problems

    def _for_file(self, shown: str, specs: list[SoundSpec], st: os.stat_result | None, lock: Lock,
                  disk: Mapping[str, str | None]) -> list[Target]:
        known = (self.memo.recall(shown, st) if st else None) or []
        if len(known) >= len(specs):  # every unchanged file, on every run: no lists on the way
            again = self._made_before(shown, known, specs, lock)
            if again is not None:
                return again
            fast = [pair[0] for spec, row in zip(specs, known) if (pair := self._recall(spec, row, lock))]
            if len(fast) == len(specs):
                if self.memo.derives:
                    self.memo.keep_derived(shown, known, ([self._basis(spec, lock) for spec in specs], fast))
                return fast
        recalled = [self._recall(spec, known[i], lock) if i < len(known) else None for i, spec in enumerate(specs)]
        pairs = [pair for pair in recalled if pair is not None]
        if len(pairs) == len(specs):
            return [t for t, _ in pairs]
        pairs = [pair or self._compute(spec, lock, disk) for pair, spec in zip(recalled, specs)]
        if st:
            self.memo.remember(shown, st, [remembered(t, g) for t, g in pairs])
        return [t for t, _ in pairs]

    def _made_before(self, shown: str, known: list[Any], specs: list[SoundSpec], lock: Lock) -> list[Target] | None:
        """The targets an earlier plan of this process recalled from these very memo rows, if
        each rested on the same spec, lock entry and backend as now (the same objects: a
        `watch` keeps them all between plans, and a target is made of nothing else)."""
        made = self.memo.derived(shown, known)
        if made is None or len(made[0]) != len(specs):
            return None
        for was, spec in zip(made[0], specs):
            now = self._basis(spec, lock)
            if was[0] is not now[0] or was[1] is not now[1] or was[2] is not now[2] or was[3] != now[3]:
                return None
        targets: list[Target] = made[1]
        return targets

    def _basis(self, spec: SoundSpec, lock: Lock) -> tuple[SoundSpec, LockEntry | None, Generator, str]:
        """What a recalled target is made of besides its memo row: the spec, the lock entry
        (entries are frozen), the backend, and the backend's identity now (its weights may
        have changed under the same object)."""
        generator = self.generators.for_spec(spec)
        return spec, lock.assets.get(spec.output_path), generator, self._identity(generator)

    def _recall(self, spec: SoundSpec, known: dict[str, Any], lock: Lock) -> tuple[Target, Generator] | None:
        generator = self.generators.for_spec(spec)
        entry = lock.assets.get(spec.output_path)
        try:
            if entry is None or (known["id"], known["name"]) != (self._identity(generator), spec.name):
                return None
            t = recalled(spec, generator, known, entry)
        except (TypeError, KeyError):  # a damaged memo entry: compute the keys again
            return None
        return (t, generator) if t else None

    def _identity(self, generator: Generator) -> str:
        """`keys.identity(generator)`, once per backend in a survey rather than once per sound.
        (The generator itself is kept with it, so its id is not reused while this lives.)"""
        known = self._identities.get(id(generator))
        if known is None:
            known = self._identities[id(generator)] = (generator, identity(generator))
        return known[1]

    def _compute(self, spec: SoundSpec, lock: Lock, disk: Mapping[str, str | None]) -> tuple[Target, Generator]:
        generator = self.generators.for_spec(spec)
        t = target(spec, generator)
        if spec.backend == "auto" and t.placeholder:
            return self._no_downgrade(spec, t, generator, lock, disk)
        return t, generator

    def _no_downgrade(self, spec: SoundSpec, placeholder: Target, generator: Generator, lock: Lock,
                      disk: Mapping[str, str | None]) -> tuple[Target, Generator]:
        """The target to judge this output by: the real model the lock names, or the placeholder."""
        entry = lock.assets.get(spec.output_path)
        if entry is None or entry.placeholder or entry.backend not in REGISTRY:
            return placeholder, generator
        if disk.get(spec.output_path) is None:
            return placeholder, generator  # nothing to keep: a placeholder beats silence
        real = self.generators.pinned(entry.backend, spec.model, entry.model)
        why = self.generators.why_not(spec.model) or "it cannot load here"
        return dataclasses.replace(target(spec, real), unavailable=why), real
