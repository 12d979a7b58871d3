"""Options more than one command takes, each defined once.

Every one is accepted anywhere on the line: before the command (`sfx-pipeline -C demo
status`, as `git -C` and `cargo --quiet build` allow) or after it, at any depth
(`sfx-pipeline cache stats -C demo`). argparse gives a subcommand a fresh namespace and
copies it over the parent's, so a default in the subcommand would erase a value given
before it: both places therefore add the option with no default (SUPPRESS) and under
different names, and `resolve` merges them and fills the defaults once parsing is over.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TOP = "top_"  # the name an option given before the command is stored under


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    dest: str
    default: Any
    help: str
    settings: dict[str, Any] = field(default_factory=dict)  # action, type, metavar, choices

    def add(self, parser: argparse.ArgumentParser, top: bool = False) -> None:
        # Before the command, only the global ones are worth listing in the top-level help.
        shown = self.help if not top or self.dest in GLOBAL else argparse.SUPPRESS
        parser.add_argument(*self.flags, dest=(_TOP if top else "") + self.dest, default=argparse.SUPPRESS,
                            help=shown, **self.settings)


OPTIONS: dict[str, Option] = {o.dest: o for o in (
    Option(("-C", "--project"), "project", None,
           "the game project (default: the folder holding sfx-pipeline.toml, here or above)",
           {"type": Path, "metavar": "DIR"}),
    Option(("-q", "--quiet"), "quiet", False, "print only errors and warnings", {"action": "store_true"}),
    Option(("-v", "--verbose"), "verbose", False, "say more: fresh assets, each decision's reason",
           {"action": "store_true"}),
    Option(("--color",), "color", "auto",
           "colour the output: auto (on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it), always, never",
           {"choices": ("auto", "always", "never"), "metavar": "WHEN"}),
    Option(("--json",), "json", False, "print one JSON document on stdout, and nothing else there",
           {"action": "store_true"}),
    Option(("--only",), "only", [], "only assets whose name, output path or descriptor path matches "
           "this glob (repeatable)", {"action": "append", "metavar": "GLOB"}),
    Option(("--prune",), "prune", False, "remove outputs whose descriptor is gone (only files this tool wrote)",
           {"action": "store_true"}),
)}

# Every command takes these; the others only where a command lists them.
GLOBAL = ("project", "quiet", "verbose", "color")


def add_top(parser: argparse.ArgumentParser) -> None:
    for option in OPTIONS.values():
        option.add(parser, top=True)


def add(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    for name in (*GLOBAL, *names):
        OPTIONS[name].add(parser)


def resolve(args: argparse.Namespace, takes: tuple[str, ...]) -> str | None:
    """Merge what was given before and after the command and fill the defaults. Returns a
    usage error (an option the command does not take, or a contradiction) or None."""
    for name, option in OPTIONS.items():
        before = getattr(args, _TOP + name, argparse.SUPPRESS)
        after = getattr(args, name, argparse.SUPPRESS)
        if hasattr(args, _TOP + name):
            delattr(args, _TOP + name)
        given = before is not argparse.SUPPRESS or after is not argparse.SUPPRESS
        if given and name not in GLOBAL and name not in takes:
            return f"this command has no {option.flags[-1]} option"
        value: Any
        if isinstance(option.default, list):
            value = [*_list(before), *_list(after)]
        else:
            value = after if after is not argparse.SUPPRESS else before
        setattr(args, name, option.default if value is argparse.SUPPRESS else value)
    if args.quiet and args.verbose:
        return "--quiet and --verbose contradict each other: choose one"
    return None


def _list(value: Any) -> list[Any]:
    return [] if value is argparse.SUPPRESS else list(value)
