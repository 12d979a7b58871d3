"""`sfx-pipeline watch`: rebuild sounds as their descriptors are saved, until Ctrl-C."""

from __future__ import annotations

import argparse
from functools import partial
from typing import TYPE_CHECKING, Callable

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.exits import Exit
from sfx_pipeline.cli.output import Output
from sfx_pipeline.watch import DEFAULT_POLL, DEFAULT_SETTLE

if TYPE_CHECKING:
    from sfx_pipeline.build import Report
    from sfx_pipeline.project import Project

_POLL_HELP = (
    "poll the folders every SECONDS (default %(const)s) instead of waiting for file events. "
    "Needed where file events never arrive: network drives (SMB, NFS), WSL working on a Windows "
    "drive (/mnt/c/...), Docker bind mounts from a macOS or Windows host, and some VM shared folders. "
    "Each poll stats every file in the descriptor folders, so keep it at a second or more on network drives; "
    "a save is built once it has been still for 1.5 polls (or --settle, if longer), so that a save a poll "
    "catches halfway is still built once."
)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 60:
        raise argparse.ArgumentTypeError(f"{text} is outside 0 to 60 seconds")
    return value


def _interval(text: str) -> float:
    value = _seconds(text)
    if value < 0.01:
        raise argparse.ArgumentTypeError(f"{text} is too short an interval: polling would never rest")
    return value


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--poll", type=_interval, nargs="?", const=DEFAULT_POLL, default=None, metavar="SECONDS",
                   help=_POLL_HELP)
    p.add_argument("--settle", type=_seconds, default=DEFAULT_SETTLE, metavar="SECONDS",
                   help="build once no file changed for this long (default %(default)s): one save is several "
                        "file events, and one build should follow it")


def shows(out: Output, project: Project | None = None) -> Callable[[Report], None]:
    """How each build of the session is shown: as `build` shows it, with why there are
    placeholders said once per session."""
    from sfx_pipeline.cli import render

    said = set()

    def show(report: Report) -> None:
        if project is not None and render.produced(report):
            note = project.generators.auto_note(full=out.verbose)
            if note and note not in said:
                said.add(note)
                out.message(note)
        out.result(*render.build(report, False, out.paint, out.verbose))
        out.flush()  # a build's lines reach a pipe (`| tee log`) when it is done, not at exit

    return show


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.build import Options
    from sfx_pipeline.cli.build_part import rebuild
    from sfx_pipeline.cli.context import open_project
    from sfx_pipeline.names import CONFIG_NAME
    from sfx_pipeline.watch.session import Session, Settings

    project = open_project(args, out)
    # `rebuild`: a save that changed only descriptors plans just those (cli/delta.py), as a
    # one-shot `build` does, with this session's loaded backends. Not for --only or --prune,
    # which plan the whole project on every save (and then record no plan for it).
    options = Options(prune=args.prune, only=args.only)
    patched = partial(rebuild, every=out.verbose)  # -v lists fresh sounds too: see `shows`
    session = Session(project, options, Settings(args.settle, args.poll), show=shows(out, project),
                      patched=patched if options == Options() else None)
    folders = ", ".join(f"{d}/" + ("" if (project.root / d).is_dir() else " (not there yet)")
                        for d in project.config.descriptor_dirs)
    how = f"polling every {args.poll:g} s" if args.poll else "file events"
    out.message(f"watching {folders} and {CONFIG_NAME} ({how}); Ctrl-C to stop")
    session.run()  # Ctrl-C: KeyboardInterrupt leaves through the CLI's handler, exit 130
    return Exit.OK


COMMAND = Command(
    name="watch",
    summary="rebuild sounds as their descriptors are saved, until Ctrl-C",
    description="Build everything that is stale, then rebuild after each save of a descriptor "
                "or of sfx-pipeline.toml. Ctrl-C stops it; finished sounds stay installed.",
    run=_run,
    arguments=_arguments,
    options=("only", "prune"),
    exits=(Exit.ERROR, Exit.TERMINATED),
    example="sfx-pipeline watch --poll 1   # on a network drive or in WSL",
)
