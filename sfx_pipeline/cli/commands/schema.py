"""`sfx-pipeline schema`: the JSON Schema of *.sfx.toml, for editor completion."""

from __future__ import annotations

import argparse

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.output import Output


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--write", action="store_true",
                   help="write it and a .taplo.toml that uses it into the project root")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline import jsonschema
    from sfx_pipeline.cli.context import root

    if not args.write:
        out.document(jsonschema.descriptor_schema())  # the result is a JSON document either way
        return 0
    written = jsonschema.write(root(args))
    for name in written:
        out.message(f"wrote {name}")
    out.emit({"written": list(written)}, [])
    return 0


COMMAND = Command(
    name="schema",
    summary="print the JSON Schema of *.sfx.toml, or write it for editors (--write)",
    run=_run,
    arguments=_arguments,
    options=("json",),
    example="sfx-pipeline schema --write",
)
