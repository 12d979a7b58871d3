"""Building the part of a project that changed, when the rest has nothing to build.

The snapshot says whether a build would change nothing else (its `build` answer), and
delta.py plans the changed descriptors. What they need is then built by the Builder every
build runs, given their actions and their lock entries: installs, journal and lock
flushes as in any build. Two things differ from a build that plans the whole project:

- The lock is written by splicing (lock_splice.py): the changed entries are encoded and put
  in their places in the file's bytes, the others copied as they are, so the file is what
  a whole build writes without 20,000 entries being parsed and encoded in Python. Only a
  file laid out as this version writes it is spliced; the splice of nothing must give the
  file back byte for byte before anything is built.
- The report is the whole project's, in a whole build's order: the snapshot's results for
  the rest of the project, in their places, and the Builder's for the changed descriptors
  (what it settled among them; then what it built, last). A text report counts the
  snapshot's fresh sounds instead of listing them, as it prints no line for them.

Temp files that a killed build left beside other outputs are swept by the next build that
plans the whole project, not by this one. Anything it cannot vouch for before it writes
(another build that ran since the snapshot was read, a lock laid out otherwise) sends the
command down the full path.

A one-shot `build` (delta_build.py) and a `watch` session (`rebuild`) both build this way.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sfx_pipeline import lock as lock_mod
from sfx_pipeline import lock_splice
from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.build import Builder, Options, Report, Result, holding_build_lock
from sfx_pipeline.cli import delta, noop
from sfx_pipeline.hashing import digest
from sfx_pipeline.journal import NAME as JOURNAL_NAME
from sfx_pipeline.names import LOCK_NAME
from sfx_pipeline.observed import stat_of
from sfx_pipeline.project import Project, Survey, paused_gc
from sfx_pipeline.states import Outcome, Status


def rebuild(project: Project, options: Options, every: bool = True) -> Report | None:
    """`watch`'s build after a save, when only descriptors changed since the last: those
    built as `answer` builds them, with the session's project (its backends stay loaded),
    and the whole project's report (`every`: with a result for each fresh sound, which a
    text report without -v only counts); None when the session must build in full (a plan
    `--only` or `--prune` asks for, anything the snapshot cannot vouch for)."""
    if options != Options():
        return None
    root = str(project.root)
    snap = noop.snapshot_of(root)
    try:
        changed = None if snap is None else noop.build_changes(root, snap)
        if snap is None or not changed:
            return None
        what = noop.Changed(root, snap, {"command": "build"}, changed, time.perf_counter(), time.time_ns())
        with paused_gc():
            part = delta.prepare(what, project.reporter, project)
            survey = delta.plan(part, delta.lock_part(part))
    except (delta.Decline, *noop.DAMAGED):
        return None
    return built(part, survey, every)


def built(part: delta.Part, survey: Survey, every: bool) -> Report | None:
    """Build the planned part, leave the patched snapshot, and give the whole project's
    report (`every`: list every asset, as --json does); None, having written nothing, when
    the lock is not the one the snapshot vouched for."""
    with holding_build_lock(part.project):
        try:
            writer = _LockWriter.checked(part, survey.lock)
        except (delta.Decline, *noop.DAMAGED):
            return None
        builder = Builder(part.project, survey, Options(), writer)
        builder.run()
        with paused_gc():
            _leave_snapshot(part, builder, writer.written)
    with paused_gc():
        return _report(part, survey, builder, every)


class _LockWriter:
    """How the Builder writes the lock: the file as it is now, with the planned outputs'
    entries spliced in (`Builder(write_lock=...)`). `written`: the bytes the file holds,
    since the build lock is held and only this writes it."""

    def __init__(self, splice: lock_splice.Splice) -> None:
        self.splice = splice
        self.written = splice.text

    @classmethod
    def checked(cls, part: delta.Part, planned: lock_mod.Lock) -> _LockWriter:
        """Checked first, holding the build lock: the file is the one the snapshot vouched
        for (no build wrote it since), and splicing in the entries as planned gives it back
        unchanged. `planned` gets the file's reproducibility promises."""
        config, snap = part.project.config, part.what.snap
        recorded = snap["files"].get(LOCK_NAME)
        if recorded is None or stat_of(str(config.lock_path)) != recorded:
            raise delta.Decline("another build wrote the lock since the snapshot was read")
        if stat_of(str(config.state_dir / JOURNAL_NAME)) is not None:
            raise delta.Decline("a build was killed since: its journal is folded in by a whole plan")
        text = config.lock_path.read_bytes()
        promises = lock_splice.reproducibility_in(text)
        listed = sorted(set(snap["files"]) - set(snap["unlocked"]))  # every path the lock lists
        if promises is None or (splice := lock_splice.Splice.of(text, part.outputs, listed)) is None:
            raise delta.Decline("the lock is not laid out as this version writes it")
        planned.reproducibility = promises
        if not splice.keeps(planned):
            raise delta.Decline("the lock is not laid out as this version writes it")
        return cls(splice)

    def __call__(self, path: Path, lock: lock_mod.Lock) -> None:
        data = self.splice.applied(lock)
        if data is None:  # no asset left: the whole lock's text
            data = lock.to_json().encode()
        if data != self.written:
            write_atomic(path, data)
            self.written = data


def _leave_snapshot(part: delta.Part, builder: Builder, lock_bytes: bytes) -> None:
    """Plan the changed descriptors again, as the build left them, and patch the snapshot, so
    the next run replays; when that plan cannot be vouched for, leave no snapshot.
    `lock_bytes`: what the lock file holds (the build lock is still held)."""
    config = part.project.config
    after = lock_mod.Lock({o: builder.lock.assets[o] for o in part.outputs if o in builder.lock.assets})
    try:
        lock_stat = stat_of(str(config.lock_path))
        lock_file = None if lock_stat is None else (lock_stat, digest(lock_bytes))
        delta.patch(part, delta.plan(part, after), after, lock_file)
    except (delta.Decline, *noop.DAMAGED):
        (config.state_dir / noop.SNAPSHOT).unlink(missing_ok=True)


def _report(part: delta.Part, survey: Survey, builder: Builder, every: bool) -> Report:
    """The report a build of the whole project gives: the snapshot's results for what did not
    change, the Builder's settled results in their places, then what it built. Unless
    `every` (--json), the fresh assets the snapshot keeps as rows are counted, not listed:
    a text report prints no line for them."""
    details, owners, made = part.details, part.owners, builder.report
    items, fresh = details["build"], details["fresh"]
    kept = delta.kept_items(details, owners, part.what.changed, part.claimed)
    untold = [] if every else [items[i] for i in kept if type(items[i]) is int]
    if untold:
        kept = [i for i in kept if type(items[i]) is not int]
    settled = made.results[:builder.settled]
    owner_of = {a.output: a.target.spec.descriptor if a.target else "" for a in survey.actions}
    order = delta.spliced([owners[i] for i in kept], lambda i: delta.output_at(details, kept[i]),
                          [owner_of[r.output] for r in settled], lambda i: settled[i].output)
    results = [settled[i] if is_new else _result(fresh, items[kept[i]]) for is_new, i in order]
    statuses = [details["status"][i] for i in kept]
    left = sum(1 for item in statuses if type(item) is not int and item["status"] in (Status.MODIFIED, Status.ORPHAN))
    return Report(results=results + made.results[builder.settled:], problems=made.problems, seconds=made.seconds,
                  audio_seconds=made.audio_seconds, generate_seconds=made.generate_seconds,
                  left_behind=left + made.left_behind, untold_fresh=len(untold),
                  untold_placeholders=sum(1 for row in untold if fresh[row][4]))


def _result(fresh: list[list[Any]], item: Any) -> Result:
    """A result the snapshot keeps (noop.fresh_result for a row), as the Builder made it."""
    doc = noop.fresh_result(fresh[item]) if type(item) is int else item
    return Result(output=doc["output"], outcome=Outcome(doc["outcome"]), reasons=tuple(doc["reasons"]),
                  name=doc["name"], backend=doc["backend"], placeholder=doc["placeholder"], message=doc["message"])
