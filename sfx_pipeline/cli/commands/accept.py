"""`sfx-pipeline accept NAME…`: keep hand-edited outputs as the sounds' outputs."""

from __future__ import annotations

import argparse

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.context import open_project
from sfx_pipeline.cli.output import Output


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="+", metavar="NAME", help="sounds whose edited output to keep")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.accept import accept

    done = accept(open_project(args, out), args.names)
    out.emit({"assets": [{"output": output, "outcome": outcome} for output, outcome in done]},
             [f"{outcome:16} {output}" for output, outcome in done]
             + ["status calls them fresh until their descriptors change; a build then replaces each "
                "and keeps a copy in .sfx-pipeline/replaced/"])
    return 0


COMMAND = Command(
    name="accept",
    summary="keep hand-edited outputs: record them as the sounds' outputs until their descriptors change",
    run=_run,
    arguments=_arguments,
    options=("json",),
    example="sfx-pipeline accept door_open footsteps_02",
)
