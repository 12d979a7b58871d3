"""`sfx-pipeline status`: what is fresh, stale, orphaned or broken, and why."""

from __future__ import annotations

import argparse

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.context import open_project
from sfx_pipeline.cli.exits import Exit, for_counts
from sfx_pipeline.cli.output import Output


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all", "-a", action="store_true", help="list fresh assets too")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.cli import render
    from sfx_pipeline.plan import summary
    from sfx_pipeline.selection import check_selection, selected

    survey = open_project(args, out).survey()
    check_selection(survey.actions, args.only)
    actions = [a for a in survey.actions if selected(a, args.only)]
    counts = summary(actions)
    lines = [*render.status(actions, args.all or args.verbose, out.paint), render.counts_line(counts)]
    out.emit(lambda: {"counts": counts, "assets": [a.to_json() for a in actions]}, lines)
    return for_counts(counts)


COMMAND = Command(
    name="status",
    summary="what is fresh, stale, edited by hand, orphaned or broken, and why",
    run=_run,
    arguments=_arguments,
    options=("json", "only"),
    exits=(Exit.OK, Exit.ERROR, Exit.STALE),
    example="sfx-pipeline status --only 'doors/*'",
)
