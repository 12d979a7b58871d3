"""Specs + lock + what is on disk → one Action per asset, with the reasons behind it.

Pure: every fact about the world comes in as an argument, as data, so the plan is the
same function in `status`, `build --dry-run` and `build`, and tests drive it without
files. The one fact it needs only now and then, which render a file holds, is asked by
the caller beforehand for the outputs `render_questions` lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from sfx_pipeline.errors import Problem
from sfx_pipeline.frozen import from_row
from sfx_pipeline.lock import Lock, LockEntry
from sfx_pipeline.paths import fold
from sfx_pipeline.sound import Target
from sfx_pipeline.states import Status
from sfx_pipeline.untrusted import NOT_A_FILE

HAND_EDITED = "output modified by hand"
FOREIGN = "output exists but was not written by sfx-pipeline"

EARLIER = "output from an earlier build that the lock does not list"
ACCEPTED = "replaces a hand edit kept with `sfx-pipeline accept` (a copy goes to .sfx-pipeline/replaced/)"
NOT_A_FILE_THERE = "a link, folder or other non-file is at the output path"

# Output path -> the render key its file holds: the wanted one when the render cache holds
# those very bytes; otherwise the key the WAV carries in its provenance if its audio is
# untouched; None for a file edited by hand or not written by sfx-pipeline. Known only for
# the outputs `render_questions` lists; any other counts as None.
HeldRenders = Mapping[str, "str | None"]
# Folded output path (`paths.fold`) -> (the path as the lock spells it, its entry): `by_fold`.
FoldedLock = Mapping[str, "tuple[str, LockEntry]"]


@dataclass(frozen=True)
class Action:
    output: str  # project-relative path of the WAV
    status: Status
    reasons: tuple[str, ...] = ()
    target: Target | None = None  # what should be there (None for orphans and errors)
    entry: LockEntry | None = None  # what the lock says is there
    on_disk: str | None = None  # digest of the file now, None when missing
    problem: Problem | None = None

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {"output": self.output, "status": self.status, "reasons": list(self.reasons)}
        if self.target:
            doc.update(name=self.target.spec.name, descriptor=self.target.spec.descriptor,
                       backend=self.target.backend, placeholder=self.target.placeholder)
        elif self.entry:
            doc.update(name=self.entry.name, descriptor=self.entry.descriptor, backend=self.entry.backend)
        if self.problem:
            doc["problem"] = self.problem.to_json()
        return doc


def plan(
    targets: list[Target],
    problems: list[Problem],
    lock: Lock,
    disk: Mapping[str, str | None],
    held: HeldRenders,
    force: bool = False,
    folded: FoldedLock | None = None,
) -> list[Action]:
    """`folded`: `by_fold(lock)`, when the caller has it already (from `render_questions`)."""
    lookup = by_fold(lock) if folded is None else folded
    claimed: set[str] = set()
    actions = []
    for t in targets:
        path, entry = lookup.get(fold(t.spec.output_path), (t.spec.output_path, None))
        claimed.add(path)
        actions.append(_asset(t, entry, disk.get(t.spec.output_path), held, force))
    broken = {p.file for p in problems}
    actions += [Action("", Status.ERROR, (p.message,), problem=p) for p in problems]
    for path, entry in sorted(lock.assets.items()):
        if path in claimed:
            continue
        if entry.descriptor in broken:
            actions.append(Action(path, Status.ERROR, ("its descriptor has errors: the last build is kept",), entry=entry,
                                  on_disk=disk.get(path)))
        else:
            actions.append(_orphan(path, entry, disk.get(path)))
    return actions


def render_questions(targets: list[Target], lock: Lock, disk: Mapping[str, str | None],
                     folded: FoldedLock | None = None) -> list[tuple[str, str, str]]:
    """(output path, render key wanted there, digest of the file now) for each output whose
    file is there but is not what the lock records for its path: before calling it edited,
    the plan needs to know which render it holds (`HeldRenders`)."""
    lookup = by_fold(lock) if folded is None else folded
    asked = []
    for t in targets:
        output = t.spec.output_path
        on_disk = disk.get(output)
        _, entry = lookup.get(fold(output), (output, None))
        if on_disk is not None and _unexplained(entry, on_disk):
            asked.append((output, t.render_key, on_disk))
    return asked


def by_fold(lock: Lock) -> FoldedLock:
    """The lock's entries by folded path: a lock written on Windows may spell a path in other
    case. Made once per survey and handed to both `render_questions` and `plan`."""
    return {fold(path): (path, entry) for path, entry in lock.assets.items()}


def _unexplained(entry: LockEntry | None, on_disk: str) -> bool:
    """Is the file there a regular one that the lock does not record at this path? (`_asset`'s last case)"""
    return on_disk != NOT_A_FILE and (entry is None or on_disk != entry.output_digest)


def _asset(t: Target, entry: LockEntry | None, on_disk: str | None, held: HeldRenders, force: bool) -> Action:
    if entry is None:
        reasons = ["new asset"]
    elif (entry.generation_key, entry.render_key) == (t.generation_key, t.render_key):
        reasons = []  # equal keys: nothing to name (the common, no-op case, so skip the diff)
    else:
        reasons = changes(entry, t)
    output = t.spec.output_path
    if on_disk is None:
        if entry is not None:
            reasons.append("output missing")
    elif on_disk == NOT_A_FILE:
        reasons.append(NOT_A_FILE_THERE)  # never replaced, not even with --force
    elif entry is not None and on_disk == entry.output_digest:
        if entry.accepted and reasons:  # the descriptor moved on from an edit the user chose to keep
            reasons.append(ACCEPTED)
    else:  # `_unexplained`: one of the files `render_questions` lists
        holds = held.get(output)
        if holds == t.render_key:
            reasons = []  # the file already holds exactly this render (e.g. the lock lagged behind)
        elif holds is not None and entry is None:
            reasons = [EARLIER]  # ours by its provenance, and no lock record says otherwise: replace it
        else:
            # Provenance proves who made a file, not that it is the one this path should
            # hold: a copy of another output, or an older render restored from git, is a
            # choice someone made. Only the digest the lock records for this path is ours.
            reasons.append(FOREIGN if entry is None else HAND_EDITED)
    if not reasons:  # the common case, for every sound on every run: see frozen.py
        return from_row(Action, (output, Status.FRESH, (), t, entry, on_disk, None))
    kept = not force and (HAND_EDITED in reasons or FOREIGN in reasons) or NOT_A_FILE_THERE in reasons
    if kept:
        return Action(output, Status.MODIFIED, tuple(reasons), t, entry, on_disk)
    if t.unavailable is not None:  # judged by a model this machine lacks: keep the sound it made
        reasons.append(f"needs {t.backend} ({t.unavailable}): the {t.backend} sound is kept until a build "
                       "runs where it loads")
        return Action(output, Status.PENDING, tuple(reasons), t, entry, on_disk)
    return Action(output, Status.STALE, tuple(reasons), t, entry, on_disk)


def _orphan(path: str, entry: LockEntry, on_disk: str | None) -> Action:
    reasons = [f"no descriptor defines it any more (was {entry.descriptor})"]
    if on_disk is None:
        reasons.append("output already gone")
    elif on_disk == NOT_A_FILE:
        reasons.append(NOT_A_FILE_THERE)
    elif on_disk != entry.output_digest:
        reasons.append(HAND_EDITED)
    return Action(path, Status.ORPHAN, tuple(reasons), entry=entry, on_disk=on_disk)


_NAMED = {"prompt": "prompt changed", "seed": "seed changed", "model": "model changed",
          "algorithm": "generator version changed", "renderer": "renderer version changed",
          "duration": "duration changed", "frames": "duration changed", "samples": "duration changed",
          "rate": "sample rate changed", "sample_rate": "sample rate changed"}


def changes(entry: LockEntry, t: Target) -> list[str]:
    """Why the asset the lock describes differs from the one the descriptor describes now."""
    if entry.backend != t.backend:
        named = [f"backend changed ({entry.backend} → {t.backend})"]
        named += [_NAMED[k] for k in ("prompt", "seed") if entry.generation.get(k) != t.generation.get(k)]
        return named + _diff(entry.render, t.render, "output settings changed")
    return _dedupe(_diff(entry.generation, t.generation, "params changed")
                   + _diff(entry.render, t.render, "output settings changed"))


def _diff(old: Mapping[str, object], new: Mapping[str, object], others: str) -> list[str]:
    differing = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    named = [_NAMED[k] for k in differing if k in _NAMED]
    rest = [k for k in differing if k not in _NAMED]
    return named + ([f"{others} ({', '.join(rest)})"] if rest else [])


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def summary(actions: list[Action]) -> dict[str, int]:
    return summary_of([action.status for action in actions])


def summary_of(statuses: list[str]) -> dict[str, int]:
    """How many of each status, every status named (in Status order)."""
    counts = {s.value: 0 for s in Status}
    for status in statuses:
        counts[status] += 1
    return counts
