"""`sfx-pipeline init`: lay a config and example descriptors into a game project."""

from __future__ import annotations

import argparse
from pathlib import Path

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.output import Output


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", type=Path, nargs="?", default=Path("."), help="the game project folder (default: here)")
    p.add_argument("--engine", choices=("godot", "unity", "generic"), help="default: detected from DIR")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.template import lay_out

    written = lay_out(args.dir, args.engine)
    for path in written:
        out.message(f"wrote {path.as_posix()}" + ("/" if (args.dir / path).is_dir() else ""))
    out.message(f"next: cd {args.dir} && sfx-pipeline build")
    out.emit({"written": [p.as_posix() for p in written]}, [])
    return 0


COMMAND = Command(
    name="init",
    summary="set up a game project with a config and example descriptors (never overwrites)",
    run=_run,
    arguments=_arguments,
    options=("json",),
    example="sfx-pipeline init --engine godot my_game",
)
