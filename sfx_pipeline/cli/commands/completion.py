"""`sfx-pipeline completion SHELL`: the script that teaches a shell to complete commands,
options and choices. The completions come from the parser itself, through argcomplete
(https://kislyuk.github.io/argcomplete/), so they never drift from what the CLI accepts."""

from __future__ import annotations

import argparse

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.output import Output

SHELLS = ("bash", "zsh", "fish", "powershell")

_WHERE = {
    "bash": "add to ~/.bashrc:  eval \"$(sfx-pipeline completion bash)\"",
    "zsh": "add to ~/.zshrc:  eval \"$(sfx-pipeline completion zsh)\"",
    "fish": "sfx-pipeline completion fish > ~/.config/fish/completions/sfx-pipeline.fish",
    "powershell": "add to $PROFILE:  sfx-pipeline completion powershell | Out-String | Invoke-Expression",
}


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=SHELLS, help="; ".join(f"{shell}: {how}" for shell, how in _WHERE.items()))


def _run(args: argparse.Namespace, out: Output) -> int:
    from argcomplete.shell_integration import shellcode

    out.result(shellcode(["sfx-pipeline"], shell=args.shell).rstrip("\n"))
    return 0


COMMAND = Command(
    name="completion",
    summary="print the shell completion script for bash, zsh, fish or PowerShell",
    description="\n".join(f"  {shell:11} {how}" for shell, how in _WHERE.items()),
    run=_run,
    arguments=_arguments,
    example='eval "$(sfx-pipeline completion bash)"',
)
