"""`accept NAME…`: keep a hand-edited output as the sound's output.

The lock records the edited file's digest against the descriptor as it is now, marked
`accepted`, so `status` calls it fresh until the descriptor changes. When it does, the
build names the edit it is about to replace and copies it to .sfx-pipeline/replaced/
first: an accepted edit is never lost without a trace.
"""

from __future__ import annotations

from sfx_pipeline import lock as lock_mod
from sfx_pipeline.build import holding_build_lock, lock_entry
from sfx_pipeline.errors import UserError
from sfx_pipeline.paths import fold
from sfx_pipeline.plan import Action
from sfx_pipeline.project import Project
from sfx_pipeline.schema import suggest
from sfx_pipeline.states import Status

ACCEPTED, ALREADY = "accepted", "already accepted"


def accept(project: Project, names: list[str]) -> list[tuple[str, str]]:
    """(output, what happened) per name; nothing is written unless every name can be accepted."""
    with holding_build_lock(project):
        survey = project.survey()
        by_name = {a.target.spec.name: a for a in survey.actions if a.target}
        chosen = [_acceptable(by_name, name) for name in dict.fromkeys(names)]
        lock = lock_mod.load(project.config.lock_path)
        done = []
        for a in chosen:
            if a.status == Status.FRESH:
                done.append((a.output, ALREADY))
                continue
            assert a.target is not None and a.on_disk is not None  # _acceptable chose an edited output of a target
            entry = lock_entry(a.target, a.on_disk, a.entry.batch if a.entry else {}, accepted=True)
            for spelled in [p for p in lock.assets if fold(p) == fold(a.output)]:  # written on Windows
                del lock.assets[spelled]
            lock.assets[a.output] = entry
            done.append((a.output, ACCEPTED))
        lock.assets = dict(sorted(lock.assets.items()))
        lock_mod.save(project.config.lock_path, lock)
        return done


def _acceptable(by_name: dict[str, Action], name: str) -> Action:
    a = by_name.get(name)
    if a is None:
        hint = suggest(name, list(by_name)) or "`sfx-pipeline status --all` lists every asset"
        raise UserError(f"no sound named {name!r} in this project", hint)
    if a.status == Status.FRESH and a.entry is not None and a.entry.accepted:
        return a
    if a.status != Status.MODIFIED or a.on_disk is None:
        what = "is what its descriptor builds" if a.status == Status.FRESH else f"is {a.status}, not edited by hand"
        raise UserError(f"{name}: {a.output} {what}: there is no edit to accept",
                        "accept keeps an output you edited by hand (status shows it as modified)")
    return a
