"""Commands → argparse. Usage errors exit 64 and show the usage of the (sub)command that
was mistyped, not the top level's."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn, Sequence

from sfx_pipeline import __version__
from sfx_pipeline.cli import options
from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.exits import ALWAYS, MEANING, Exit


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        kwargs.setdefault("allow_abbrev", False)  # a new option must never change what an old abbreviation meant
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(int(Exit.USAGE), f"{self.prog}: error: {message}\n  (see `{self.prog} --help`)\n")

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        parsed, extra = super().parse_known_args(args, namespace)
        if extra and self.prog != _PROG:
            # A subcommand: argparse would hand the leftovers up to the top level, which
            # would then print its own usage; the user needs this command's.
            self.error(f"unrecognized arguments: {' '.join(extra)}")
        return parsed, extra


_PROG = "sfx-pipeline"


def build(commands: Sequence[Command]) -> Parser:
    parser = Parser(prog=_PROG, description="Turn *.sfx.toml descriptors into finished game sound effects.",
                    epilog=f"`{_PROG} COMMAND --help` says what each command does, its exit codes and an example.")
    parser.add_argument("--version", action="version", version=f"{_PROG} {__version__}")
    options.add_top(parser)
    _add_commands(parser, commands, ())
    return parser


def _add_commands(parser: argparse.ArgumentParser, commands: Sequence[Command], taken: tuple[str, ...]) -> None:
    title = "commands" if parser.prog == _PROG else "actions"
    sub = parser.add_subparsers(title=title, metavar=title[:-1].upper(), dest=f"{title}_of_{len(taken)}",
                                parser_class=Parser)
    sub.required = parser.prog != _PROG  # the bare program prints its help instead
    for command in commands:
        _add_command(sub, command, (*taken, *command.options))


def _add_command(sub: argparse._SubParsersAction[Parser], command: Command, taken: tuple[str, ...]) -> None:
    p = sub.add_parser(command.name, help=command.summary, description=_description(command),
                       epilog=_epilog(command))
    options.add(p, taken)
    command.arguments(p)
    if command.actions:
        _add_commands(p, command.actions, taken)
    else:
        p.set_defaults(command=command, takes=taken, command_parser=p)


def _description(command: Command) -> str:
    return f"{command.summary[0].upper()}{command.summary[1:]}." + (f"\n\n{command.description}"
                                                                    if command.description else "")


def _epilog(command: Command) -> str:
    if command.actions:
        return ""
    codes = [*command.exits, *(e for e in ALWAYS if e not in command.exits)]
    text = "exit status:\n" + "\n".join(f"  {int(e):<4} {MEANING[e]}" for e in codes)
    if command.example:
        text += f"\n\nexample:\n  {command.example}"
    return text
