"""A project loaded once per process: config, cache, backends, engine.

`survey` reads the world (descriptors, lock, outputs on disk) and hands the facts to the
pure planner. `status`, `build` and `watch` all start here; `watch` keeps one Project so
the AudioGen model stays loaded between rebuilds.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from sfx_pipeline import config as config_mod
from sfx_pipeline import engines, journal, scan
from sfx_pipeline import lock as lock_mod
from sfx_pipeline.audio.provenance import render_key_in
from sfx_pipeline.cache import Cache
from sfx_pipeline.errors import Problem
from sfx_pipeline.generators import Generators
from sfx_pipeline.names import CONFIG_NAME
from sfx_pipeline.observed import Stat, stat_of
from sfx_pipeline.plan import Action, by_fold, plan, render_questions
from sfx_pipeline.report import Reporter
from sfx_pipeline.state import FileDigests, StatMemo
from sfx_pipeline.targets import Targets

if TYPE_CHECKING:
    from sfx_pipeline.descriptor import Parsed


@dataclass
class Survey:
    actions: list[Action]
    lock: lock_mod.Lock
    problems: list[Problem]


# Told of each plan, with what it was made from besides the project's own state: the parsed
# descriptors, the lock's stat taken before it was read, and when the plan started (time_ns).
# The CLI sets one that leaves the no-op snapshot (cli/snapshot.py).
Recorder = Callable[["Project", Survey, "Parsed", "Stat | None", int], None]


class Project:
    def __init__(self, root: Path, reporter: Reporter, memos: bool = True) -> None:
        """`memos=False`: the memos start empty and are never written, for a plan of a few
        descriptors (`survey_part`) that would only pay for reading them."""
        self.config_stat = stat_of(str(root / CONFIG_NAME))  # before reading it: see observed.py
        self.config = config_mod.load(root)
        self.root = self.config.root
        self.reporter = reporter
        self.cache = open_cache(self.config, reporter)
        self.generators = Generators(self.config.generator, self.config.cache_dir, reporter)
        self.engine = engines.get(self.config.engine)
        self.state_warned = False
        self.replans = False  # see `plans_again`
        self._unrecorded: tuple[Survey, Parsed, Stat | None, int] | None = None
        self.recorder: Recorder | None = None  # told of each plan (not of a --force one)
        self.kept = memos
        with paused_gc():
            self.digests = FileDigests(self.config.state_dir, kept=memos)
            self.parsed, self.keys = self._memos()

    def _memos(self) -> tuple[StatMemo, StatMemo]:
        """Parsed descriptors and their keys, remembered by the descriptor's stat."""
        state, context = self.config.state_dir, self.config.fingerprint
        specs = f"{context} specs/{scan.MEMO_FORMAT}"  # specs are stored by position: see scan.MEMO_FORMAT
        memos = (StatMemo(state / "descriptors.json", specs, self.kept),
                 StatMemo(state / "keys.json", context, self.kept))
        for memo in memos:
            memo.derives = self.replans
        return memos

    def plans_again(self) -> None:
        """This project will plan more than once: `watch` on every save, and a build that
        changes something once more afterwards. Keep the specs and targets made from
        unchanged files between plans (`StatMemo.derived`), so a later plan makes objects
        only for what changed. A command that plans once would only pay for keeping them
        (about 5% of a plan at 5,000 sounds)."""
        self.replans = True
        self.parsed.derives = self.keys.derives = True

    def reload_config(self) -> None:
        """After sfx-pipeline.toml changed: new settings, same loaded backends where possible."""
        self.config_stat = stat_of(str(self.root / CONFIG_NAME))
        self.config = config_mod.load(self.root)
        self.cache = open_cache(self.config, self.reporter)
        self.engine = engines.get(self.config.engine)
        self.parsed, self.keys = self._memos()
        if (self.config.generator, self.config.cache_dir) != (self.generators.context.settings,
                                                              self.generators.context.cache_dir):
            self.generators = Generators(self.config.generator, self.config.cache_dir, self.reporter)

    def survey(self, force: bool = False, record: bool = True) -> Survey:
        """Plan. `record=False` leaves the recording to `record_plan`, for a caller that will
        know only later whether this plan is the last one (a build that changes something
        plans again afterwards, and recording the first plan too would be wasted work)."""
        with paused_gc():
            return self._survey(force, record)

    def record_plan(self) -> None:
        """Record the plan a `survey(record=False)` left unrecorded (the files it was made from
        must still be as they were: the snapshot's stats say so)."""
        if self.recorder is not None and self._unrecorded is not None:
            self.recorder(self, *self._unrecorded)
        self._unrecorded = None

    def _survey(self, force: bool, record: bool) -> Survey:
        started = time.time_ns()
        self.consulted: list[str] = []  # cache entries the plan looked at
        lock_stat = stat_of(str(self.config.lock_path))  # stat before reading, as for every input
        self.journal_stat = stat_of(str(self.config.state_dir / journal.NAME))
        parsed = scan.load_all(self.config, self.parsed)
        lock = lock_mod.load(self.config.lock_path)
        journal.replay(self.config.state_dir, self.root, lock)  # what a killed build finished
        outputs = {spec.output_path for spec in parsed.specs} | set(lock.assets)
        disk = {path: self.digests.digest(self.root, path) for path in outputs}
        self.digests.keep_only(outputs)  # forget renamed and removed outputs
        survey = self._planned(parsed, lock, disk, force)
        self.save_memos(self.digests, self.parsed, self.keys)
        self._unrecorded = None
        if self.recorder is not None and not force:  # --force plans hand-edited files as stale: not what a plain run sees
            self._unrecorded = (survey, parsed, lock_stat, started)
            if record:
                self.record_plan()
        return survey

    def survey_part(self, parsed: Parsed, lock: lock_mod.Lock, outputs: set[str]) -> Survey:
        """Plan only these parsed descriptors (`scan.load_some`) and the lock entries at
        `outputs`, which `lock` holds (and no others): what a one-shot command needs after
        a few descriptors changed, when the rest of the plan is known (cli/delta.py). The
        caller makes sure no other descriptor claims these outputs. Nothing is recorded or
        saved; a cache entry looked at is listed in `consulted`, as in `survey`."""
        with paused_gc():
            self.consulted = []
            wanted = outputs | {spec.output_path for spec in parsed.specs}
            disk = {path: self.digests.digest(self.root, path) for path in sorted(wanted)}
            return self._planned(parsed, lock, disk, False)

    def _planned(self, parsed: Parsed, lock: lock_mod.Lock, disk: dict[str, str | None], force: bool) -> Survey:
        """The plan of these descriptors against `lock` and the outputs' digests on `disk`:
        what `survey` and `survey_part` share once they have read their inputs."""
        targets, unavailable = Targets(self.generators, self.keys).make(parsed, lock, disk)
        problems = parsed.problems + unavailable
        folded = by_fold(lock)
        held = {output: self._held_render(output, wanted, on_disk)
                for output, wanted, on_disk in render_questions(targets, lock, disk, folded)}
        return Survey(plan(targets, problems, lock, disk, held, force, folded), lock, problems)

    @property
    def snapshots(self) -> bool:
        """Whether plans are recorded: a build that changed something then plans once more, so
        the record matches what it left."""
        return self.recorder is not None

    def save_memos(self, *memos: StatMemo) -> None:
        """Save what changed; a state folder that cannot be written is said once, not fatal."""
        for memo in memos:
            why = memo.save()
            if why and not self.state_warned:
                self.state_warned = True
                self.reporter.line(f"warning: {why}; builds still work, but each one re-reads every file")

    def _held_render(self, output: str, wanted: str, on_disk: str) -> str | None:
        """The render key the file at `output` holds, if it is an untouched output of ours
        (the planner's `HeldRenders`, asked for the outputs `render_questions` lists).

        `wanted` when the render cache holds those very bytes (a build killed between install
        and lock write); else the key in the WAV's provenance, trusted only while its audio
        matches the digest stored beside it (a lost lock, a teammate's file)."""
        self.consulted.append(str(self.cache.manifest_path("renders", wanted)))
        cached = self.cache.manifest("renders", wanted)
        if cached is not None and cached["blob"] == on_disk:
            return wanted
        return render_key_in(self.root / output)


def open_cache(config: config_mod.ProjectConfig, reporter: Reporter) -> Cache:
    """The local cache, backed by the team's shared store when [cache] remote names one."""
    remote = config.shared_cache.get("remote")
    if not remote:
        return Cache(config.cache_dir)
    from sfx_pipeline.remote.store import RemoteStore, SharedCache

    return SharedCache(config.cache_dir, RemoteStore(remote, bool(config.shared_cache.get("read_only")), reporter))


@contextmanager
def paused_gc() -> Iterator[None]:
    """Planning allocates tens of thousands of small objects that hold no cycles; the cyclic
    garbage collector would walk them again and again for nothing (a fifth of a 5,000-sound
    no-op build, measured). They are freed by reference counting all the same."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
