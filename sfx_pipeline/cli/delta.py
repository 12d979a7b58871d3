"""After a few descriptors changed: plan only those, and patch the snapshot's answer.

`noop.py` answers a run where nothing changed. When its walk finds that only descriptors
changed (edited, added or removed) and every other input is as the snapshot recorded it
(config, lock, outputs, environment), the rest of the plan is already known: each action
the snapshot keeps rests on its own descriptor, its lock entry and its output file alone.
So this plans the changed descriptors and the lock entries at the outputs they claimed
before or claim now (`Project.survey_part`, the planner every command uses), swaps their
items in the snapshot's lists for the new ones, and makes each command's summary from the
lists (`snapshot.summaries`, as the full path does). The work is the no-op's walk plus
what the changed descriptors cost, not a plan of the whole project.

What ties one descriptor to another is checked here instead:
- two sounds writing one output: a changed descriptor's output that another descriptor
  claims (or claimed, in other case) declines, and the full path reports the collision;
- orphans: an output a changed descriptor no longer claims is planned with its lock
  entry, as the full path would, and sorted in among the others;
- errors: a plan that has any (before or after) declines, since a broken descriptor keeps
  the last build of outputs it no longer lists.

Only the lock entries it needs are read, by their place in the lock's text, which is
written one field a line (lock.py): a path the snapshot says the lock lists must be found
there exactly once, or it declines. Anything else it is not sure of declines too, and the
full path plans the whole project, as it would with no snapshot. The memos are left as
they are (they are keyed by stat: the next full plan reads the changed files again).
"""

from __future__ import annotations

import bisect
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from sfx_pipeline import lock as lock_mod
from sfx_pipeline import lock_splice, scan
from sfx_pipeline.cli import noop, snapshot
from sfx_pipeline.journal import NAME as JOURNAL_NAME
from sfx_pipeline.links import is_link_at
from sfx_pipeline.names import LOCK_NAME, STATE_DIR
from sfx_pipeline.paths import fold
from sfx_pipeline.project import Project, Survey, paused_gc
from sfx_pipeline.report import QuietReporter, Reporter
from sfx_pipeline.states import Status

if TYPE_CHECKING:
    from sfx_pipeline.descriptor import Parsed
    from sfx_pipeline.observed import Stat

# More changed descriptors than this (or than a quarter of the project) plan in full: the
# full path then reads them all anyway, and leaves its memos up to date.
MAX_CHANGED = 256


class Decline(Exception):
    """Not sure of the answer: the full path plans."""


@dataclass
class Part:
    """The changed descriptors, parsed, and the outputs their plan covers."""

    what: noop.Changed
    details: dict[str, Any]  # the snapshot's (noop.DETAILS)
    owners: list[str]  # the descriptor of each item of the details' lists
    project: Project  # with memos that are neither read nor written
    parsed: Parsed
    claimed: set[str]  # the outputs they claim now
    outputs: set[str]  # ... and those they claimed before


def answer(what: noop.Changed) -> int | None:
    """Print what the request prints after the changed descriptors; None when the full path
    must run instead. (A build with something to build is delta_build.py's.)"""
    try:
        with paused_gc():  # tens of thousands of rows, no cycles: see project.paused_gc
            reporter = QuietReporter()
            part = prepare(what, reporter)
            survey = plan(part, lock_part(part))
            if reporter.lines:
                raise Decline("planning had something to say, which a replay would not print")
            patched = patch(part, survey, survey.lock)
    except (Decline, *noop.DAMAGED):
        return None  # (a damaged snapshot or lock entry: the full path says what is wrong)
    return noop.replay(what.root, patched, what.request, what.started)


def prepare(what: noop.Changed, reporter: Reporter, project: Project | None = None) -> Part:
    """Parse the changed descriptors; Decline whatever a patch cannot vouch for. `project`:
    one already open, whose backends stay loaded (`watch`'s); else one is opened."""
    root, snap, changed = what.root, what.snap, what.changed
    if len(changed) > min(MAX_CHANGED, max(16, len(snap["descriptors"]) // 4)):
        raise Decline("many descriptors changed: a whole plan reads them all anyway")
    details = noop.details_of(root, snap)
    owners: list[str] | None = details.get("owners")
    if owners is None or details["problems"] or snap["status"]["counts"][Status.ERROR]:
        raise Decline("the plan has errors, or lists that cannot be patched")
    if snap["elsewhere"].get(os.path.join(root, STATE_DIR, JOURNAL_NAME)) is not None:
        raise Decline("a killed build's journal is folded in")
    if snap["probe"] is not None:  # the walk found what torch's answer rests on unchanged: plan with it
        from sfx_pipeline.generators.audiogen import gpu

        gpu.adopt(snap["probe"]["cuda"], snap["probe"]["watch"], snap["probe"]["facts"])
    if is_link_at(os.path.join(root, STATE_DIR)):
        raise Decline("the state folder is a link: the full path warns that it writes nothing there")
    if len(details["fresh"]) > 2 * len(owners) + MAX_CHANGED:
        raise Decline("rows left by earlier patches pile up: start afresh")
    project = project or Project(Path(root), reporter, memos=False)
    present = [os.path.join(root, *shown.split("/")) for shown, st in changed.items() if st is not None]
    parsed = scan.load_some(project.config, present)
    if not {spec.descriptor for spec in parsed.specs} <= set(changed):
        raise Decline("a descriptor is named otherwise than the walk named it")
    if parsed.problems or any(parsed.stats.get(shown) is None or _stat(parsed.stats[shown]) != st
                              for shown, st in changed.items() if st is not None):
        raise Decline("a changed descriptor has errors, or changed again while it was read")
    claimed = {spec.output_path for spec in parsed.specs}
    outputs = _affected(snap, details, owners, changed, claimed)
    return Part(what, details, owners, project, parsed, claimed, outputs)


def plan(part: Part, lock: lock_mod.Lock) -> Survey:
    """The plan of the changed descriptors, with `lock`'s entries at `part.outputs`."""
    survey = part.project.survey_part(part.parsed, lock, part.outputs)
    if survey.problems or part.project.consulted or not _same_backends(part.what.snap, part.project):
        raise Decline("errors, a render held in the cache, or a backend the plan did not make")
    auto = part.project.generators.auto_choices()
    if sorted([model, name] for model, name in auto.items()) != part.what.snap["auto"]:
        raise Decline("`auto` resolved other models than the whole plan did: its note would differ")
    return survey


def patch(part: Part, survey: Survey, lock: lock_mod.Lock, lock_file: tuple[Stat, str] | None = None) -> dict[str, Any]:
    """Write the snapshot with the changed descriptors' items swapped for `survey`'s, whose
    lock entries at `part.outputs` are `lock`'s; `lock_file`: the (stat, digest) of a lock
    just written. The new snapshot's core."""
    details = part.details
    new = snapshot.items(part.project, survey, details["fresh"])
    merged = _merged(details, part.owners, new, part.what.changed, part.claimed)
    core = dict(part.what.snap, **snapshot.summaries(merged), made="delta")
    _record_inputs(core, part, lock, lock_file)
    snapshot.write(part.project.config.state_dir, core, merged)
    return core


def _stat(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def output_at(details: dict[str, Any], i: int) -> str:
    """The output of the i-th action of the details' lists."""
    return _output_of(details["fresh"], details["status"][i])


def _output_of(fresh: list[list[Any]], item: Any) -> str:
    return str(fresh[item][0] if type(item) is int else item["output"])


def _affected(snap: dict[str, Any], details: dict[str, Any], owners: list[str], changed: dict[str, Any],
              claimed: set[str]) -> set[str]:
    """The outputs to plan again: those the changed descriptors claimed before and claim now.
    Declines where another descriptor claims one of them, or an output of the snapshot is
    spelled in other case (the full path then names the collision, or the spelling wins)."""
    before = {output_at(details, i) for i, owner in enumerate(owners) if owner in changed}
    if claimed - before:  # an output new to these descriptors (an edit rarely makes one)
        others = {fold(output_at(details, i)) for i, owner in enumerate(owners) if owner and owner not in changed}
        spelled = {fold(path): path for path in snap["files"]}
        for output in claimed - before:
            if fold(output) in others or spelled.get(fold(output), output) != output:
                raise Decline(f"{output} is claimed by another descriptor, or spelled in other case")
    return before | claimed


def lock_part(part: Part) -> lock_mod.Lock:
    """The lock's entries at the part's outputs, read from its text. The lock is as the
    snapshot found it (its stat, or its bytes when racy, were checked), and `files` lists
    every path it has: a path among them but not `unlocked` must be found once, at an
    entry's place."""
    root, snap = part.what.root, part.what.snap
    unlocked = set(snap["unlocked"])
    listed = sorted(o for o in part.outputs if o in snap["files"] and o not in unlocked)
    lock = lock_mod.Lock()
    if not listed:
        return lock
    with open(os.path.join(root, LOCK_NAME), "rb") as stream:
        raw = stream.read()  # searched as bytes: decoding a lock of 20,000 sounds costs more than the search
    for output in listed:
        found = lock_splice.entry_in(raw, output)
        if found is None:
            raise Decline(f"{output} is not where a lock written one field a line has it")
        path, entry = lock_mod.checked_entry(output, json.loads(found))
        lock.assets[path] = entry
    return lock


def _same_backends(snap: dict[str, Any], project: Project) -> bool:
    """Did planning the changed descriptors make only backends the snapshot's plan made? Its
    record of what those rest on (packages, weights) then covers them."""
    recorded = {tuple(pair) for pair in snap["loaded"]}
    return all(pair in recorded for pair in project.generators.loaded_names())


def _merged(details: dict[str, Any], owners: list[str], new: dict[str, Any], changed: dict[str, Any],
            claimed: set[str]) -> dict[str, Any]:
    """The details with the changed descriptors' items (and those of orphans they claim now)
    swapped for the new plan's."""
    both = details["build"] is not None and new["build"] is not None  # (None: the lock is to be rewritten)
    keys = ["owners", "status", "status_lines", "dry_run"] + (["build"] if both else [])
    kept = kept_items(details, owners, changed, claimed)
    fresh = details["fresh"]
    order = spliced([owners[i] for i in kept], lambda i: output_at(details, kept[i]), new["owners"],
                    lambda i: _output_of(fresh, new["status"][i]))
    merged = dict(details, problems=[], build=None)
    for key in keys:
        merged[key] = [new[key][i] if is_new else details[key][kept[i]] for is_new, i in order]
    return merged


def kept_items(details: dict[str, Any], owners: list[str], changed: dict[str, Any], claimed: set[str]) -> list[int]:
    """The items of the details' lists a patch keeps: those of unchanged descriptors, and
    the orphans no changed descriptor claims now."""
    return [i for i, owner in enumerate(owners) if not (owner in changed or not owner and output_at(details, i) in claimed)]


def spliced(old_owners: list[str], old_output: Callable[[int], str], new_owners: list[str],
            new_output: Callable[[int], str]) -> list[tuple[bool, int]]:
    """Where the new plan's items go among the kept ones: (is it new, its index), in the order
    of a whole plan's actions (plan.plan): each descriptor's in the order the walk finds the
    descriptors (sorted paths), then the orphans (owner "") sorted by path (the output of
    the i-th old or new item; asked of orphans only)."""
    owned = [(False, i) for i, owner in enumerate(old_owners) if owner]
    order = [_walk_order(old_owners[i]) for _, i in owned]
    for start, stop in _groups(new_owners):
        at = bisect.bisect_left(order, _walk_order(new_owners[start]))
        owned[at:at] = [(True, i) for i in range(start, stop)]
        order[at:at] = [_walk_order(new_owners[start])] * (stop - start)
    orphans = [(False, i) for i, owner in enumerate(old_owners) if not owner]
    orphans += [(True, i) for i, owner in enumerate(new_owners) if not owner]
    orphans.sort(key=lambda item: new_output(item[1]) if item[0] else old_output(item[1]))
    return owned + orphans


def _walk_order(shown: str) -> str:
    """Where `scan.find` puts a descriptor: it sorts absolute paths, which differ only here."""
    return shown.replace("/", os.sep)


def _groups(owners: list[str]) -> list[tuple[int, int]]:
    """(start, stop) of each run of one descriptor's actions (orphans, owned by "", left out)."""
    runs: list[tuple[int, int]] = []
    for i, owner in enumerate(owners):
        if not owner:
            continue
        if runs and runs[-1][1] == i and owners[runs[-1][0]] == owner:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _record_inputs(core: dict[str, Any], part: Part, lock: lock_mod.Lock, lock_file: tuple[Stat, str] | None) -> None:
    """What the patched plan was made from: the snapshot's inputs, with the changed
    descriptors, the outputs planned again and a lock just written as they are now (racy
    ones by digest)."""
    racy_after = part.what.started_ns - noop.RACY_NS
    descriptors, racy, files = dict(core["descriptors"]), dict(core["racy"]), dict(core["files"])
    unlocked = set(core["unlocked"]) - part.outputs
    for shown, st in part.what.changed.items():
        racy.pop(shown, None)
        descriptors.pop(shown, None)
        if st is not None:
            descriptors[shown] = st
            if st[1] >= racy_after:
                racy[shown] = part.parsed.digests[shown]
    observed = part.project.digests.observed
    for output in part.outputs:
        racy.pop(output, None)
        files.pop(output, None)
        if output not in part.claimed and output not in lock.assets:
            continue  # no sound claims it and no lock lists it: no longer an input
        seen = observed.get(output)
        files[output] = seen[0] if seen else None
        if seen and seen[0][1] >= racy_after:
            racy[output] = seen[1]
        if output not in lock.assets:
            unlocked.add(output)
    if lock_file is not None:  # racy for sure: written just now
        files[LOCK_NAME], racy[LOCK_NAME] = lock_file
    core.update(descriptors=descriptors, racy=racy, files=files, unlocked=sorted(unlocked), clock=part.what.started_ns)
