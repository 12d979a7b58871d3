"""`sfx-pipeline build`: generate, render and install every stale sound."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.context import open_project
from sfx_pipeline.cli.exits import Exit
from sfx_pipeline.cli.output import Output

if TYPE_CHECKING:
    from sfx_pipeline.build import Report
    from sfx_pipeline.project import Project


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", "-n", action="store_true", help="show what would be built, change nothing")
    p.add_argument("--force", action="store_true", help="also replace outputs that were edited by hand")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.build import Options, build

    project = open_project(args, out)
    report = build(project, Options(dry_run=args.dry_run, force=args.force, prune=args.prune, only=args.only))
    return emit(project, report, args.dry_run, out)


def emit(project: Project, report: Report, dry_run: bool, out: Output) -> int:
    """Print what a build did (cli/delta.py prints a patched build's report this way too)."""
    from sfx_pipeline.cli import render

    if render.produced(report):  # only then does it matter what auto chose
        note = project.generators.auto_note(full=out.verbose)
        if note:
            out.message(note)
    out.emit(lambda: render.build_json(report, out.reporter),
             render.build(report, dry_run, out.paint, out.verbose))
    return report.exit_code


COMMAND = Command(
    name="build",
    summary="generate, render and install every stale sound",
    run=_run,
    arguments=_arguments,
    options=("json", "only", "prune"),
    exits=(Exit.OK, Exit.ERROR),
    example="sfx-pipeline build --only 'door*'",
)
