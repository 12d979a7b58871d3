"""The registry: every command, in the order `--help` lists them. A new command is a
module in this folder that defines `COMMAND` (see cli/command.py), plus its line here."""

from __future__ import annotations

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.commands import (
    accept,
    audition,
    build,
    cache,
    completion,
    doctor,
    hook,
    import_manifest,
    init,
    pick,
    schema,
    serve,
    status,
    watch,
)

COMMANDS: tuple[Command, ...] = (
    build.COMMAND,
    status.COMMAND,
    watch.COMMAND,
    init.COMMAND,
    import_manifest.COMMAND,
    audition.COMMAND,
    pick.COMMAND,
    accept.COMMAND,
    cache.COMMAND,
    doctor.COMMAND,
    hook.COMMAND,
    schema.COMMAND,
    completion.COMMAND,
    serve.COMMAND,
)
