"""`--only`: which of a plan's assets a command acts on, by glob over their names and paths."""

from __future__ import annotations

import fnmatch

from sfx_pipeline.errors import UserError
from sfx_pipeline.plan import Action


def selected(action: Action, patterns: list[str]) -> bool:
    """--only: match the asset name, its output path or its descriptor path."""
    if not patterns:
        return True
    names = [action.output]
    if action.target:
        names += [action.target.spec.name, action.target.spec.descriptor]
    elif action.entry:
        names += [action.entry.name, action.entry.descriptor]
    if action.problem:  # a descriptor with errors is selected by its path, so --only shows them
        names.append(action.problem.file)
    return any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)


def check_selection(actions: list[Action], patterns: list[str]) -> None:
    """An --only pattern that matches nothing is a typo far more often than a wish to do
    nothing: stop and say so, as `cargo build -p` does for an unknown package."""
    unmatched = [p for p in patterns if not any(selected(a, [p]) for a in actions)]
    if unmatched:
        listed = ", ".join(repr(p) for p in unmatched)
        raise UserError(f"--only {listed} matches no asset",
                        "a pattern is a glob over the asset name, its output path or its descriptor path, "
                        "e.g. 'door*' or 'sfx/ui/*'; `sfx-pipeline status --all` lists them")
