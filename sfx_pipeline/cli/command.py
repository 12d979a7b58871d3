"""What a command is: its name, one line of summary, its arguments, its exit codes, an
example, and the function that runs it. `parsing.py` turns these into argparse parsers and
`--help` pages; `commands/__init__.py` lists them.

A command's module is imported on every start (to build `--help`), so it imports only the
standard library at the top; the heavy work is imported inside `run`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from sfx_pipeline.cli.exits import Exit

if TYPE_CHECKING:
    from sfx_pipeline.cli.output import Output

Run = Callable[[argparse.Namespace, "Output"], int]


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    pass


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # one line: the command list and the top of --help
    run: Run | None = None  # None for a group such as `cache`, whose actions run
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    options: tuple[str, ...] = ()  # shared options (options.OPTIONS) beyond the global ones
    exits: tuple[Exit, ...] = (Exit.OK, Exit.ERROR)
    example: str = ""  # a command line, shown under "example:"
    description: str = ""  # more than the summary, when there is more to say
    actions: tuple[Command, ...] = field(default=())  # `cache stats`, `hook install`
