"""`sfx-pipeline audition NAME`: render takes of one sound with other seeds, to listen and pick."""

from __future__ import annotations

import argparse

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.context import open_project
from sfx_pipeline.cli.exits import Exit
from sfx_pipeline.cli.output import Output


def _takes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 32:
        raise argparse.ArgumentTypeError(f"{value} is out of range: ask for 1 to 32 takes")
    return value


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="the sound's name (as in its output file name)")
    p.add_argument("--takes", type=_takes, default=4, metavar="N",
                   help="how many takes with new seeds, 1 to 32 (default 4); take 0 is the current seed")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.audition import audition

    takes = audition(open_project(args, out), args.name, args.takes)
    lines = [f"take {t.number:2d}  seed {t.seed:<10d}  " + (f"failed: {t.error}" if t.error else t.path)
             + ("  (the current seed, to compare)" if t.number == 0 else "") for t in takes]
    out.emit({"name": args.name, "takes": [{"number": t.number, "seed": t.seed, "path": t.path, "error": t.error}
                                           for t in takes]},
             [*lines, f"listen, then keep one: sfx-pipeline pick {args.name} <take>"])
    return Exit.ERROR if any(t.error for t in takes) else Exit.OK


COMMAND = Command(
    name="audition",
    summary="render takes of one sound with other seeds, to listen and pick one",
    run=_run,
    arguments=_arguments,
    options=("json",),
    example="sfx-pipeline audition door_open --takes 6",
)
