"""`sfx-pipeline pick NAME K`: keep an auditioned take by writing its seed into the descriptor."""

from __future__ import annotations

import argparse

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.context import open_project
from sfx_pipeline.cli.output import Output


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the sound's name, as given to audition")
    p.add_argument("take", type=int, help="the take's number, as audition printed it")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.audition import pick

    path, seed = pick(open_project(args, out), args.name, args.take)
    line = (f"{path}: take 0 is the current seed ({seed}); nothing to change" if args.take == 0 else
            f"{path}: seed = {seed} (take {args.take}); `sfx-pipeline build` installs it from the cache")
    out.emit({"descriptor": path, "seed": seed, "take": args.take}, [line])
    return 0


COMMAND = Command(
    name="pick",
    summary="write the seed of an auditioned take into the sound's descriptor",
    run=_run,
    arguments=_arguments,
    options=("json",),
    example="sfx-pipeline pick door_open 4",
)
