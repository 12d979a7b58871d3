"""`sfx-pipeline watch`: rebuild sounds as their descriptors are saved, until Ctrl-C.

Observe (observe.py: watchdog → `changes.classify`), debounce (debounce.py, pure) and act
(loop.py: one Project, one build per batch) are separate objects; session.py wires them.
This module only registers the command: the CLI imports it on every start, so the heavy
imports (numpy, watchdog, the build) wait until `watch` actually runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sfx_pipeline.report import Reporter

__all__ = ["register"]

DEFAULT_SETTLE = 0.1  # seconds: longer than the events of one save, short enough to feel instant
DEFAULT_POLL = 1.0  # watchdog's own default; each poll stats every file in the descriptor folders

_POLL_HELP = (
    "poll the folders every SECONDS (default %(const)s) instead of waiting for file events. "
    "Needed where file events never arrive: network drives (SMB, NFS), WSL working on a Windows "
    "drive (/mnt/c/...), Docker bind mounts from a macOS or Windows host, and some VM shared folders. "
    "Each poll stats every file in the descriptor folders, so keep it at a second or more on network drives; "
    "a save is built once it has been still for 1.5 polls (or --settle, if longer), so that a save a poll "
    "catches halfway is still built once."
)


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "watch", help="rebuild sounds as their descriptors are saved, until Ctrl-C",
        description="Build everything that is stale, then rebuild after each save of a descriptor "
                    "or of sfx-pipeline.toml. Ctrl-C stops it; finished sounds stay installed.",
    )
    p.add_argument("--project", "-C", type=Path, default=None, metavar="DIR",
                   help="the game project (default: the folder holding sfx-pipeline.toml, at or above here)")
    p.add_argument("--poll", type=_interval, nargs="?", const=DEFAULT_POLL, default=None, metavar="SECONDS",
                   help=_POLL_HELP)
    p.add_argument("--settle", type=_seconds, default=DEFAULT_SETTLE, metavar="SECONDS",
                   help="build once no file changed for this long (default %(default)s): one save is several "
                        "file events, and one build should follow it")
    p.add_argument("--prune", action="store_true", help="remove outputs whose descriptor is gone")
    p.add_argument("--only", action="append", default=[], metavar="GLOB",
                   help="only assets whose name, output or descriptor path matches (repeatable)")
    p.set_defaults(run=_watch)


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


def _watch(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline.build import Options
    from sfx_pipeline.config import CONFIG_NAME, find_root
    from sfx_pipeline.project import Project
    from sfx_pipeline.watch.session import Session, Settings

    project = Project(find_root(args.project or Path.cwd()), reporter)
    session = Session(project, Options(prune=args.prune, only=args.only), Settings(args.settle, args.poll))
    folders = ", ".join(f"{d}/" + ("" if (project.root / d).is_dir() else " (not there yet)")
                        for d in project.config.descriptor_dirs)
    how = f"polling every {args.poll:g} s" if args.poll else "file events"
    reporter.line(f"watching {folders} and {CONFIG_NAME} ({how}); Ctrl-C to stop")
    session.run()  # Ctrl-C: KeyboardInterrupt leaves through the CLI's handler, exit 130
    return 0
