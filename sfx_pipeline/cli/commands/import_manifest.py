"""`sfx-pipeline import-manifest`: a JSON list of effects → one descriptor each."""

from __future__ import annotations

import argparse
from pathlib import Path

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.context import open_project
from sfx_pipeline.cli.exits import Exit
from sfx_pipeline.cli.output import Output


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("manifest", type=Path, help="the JSON file")
    p.add_argument("--into", metavar="DIR", help="descriptor folder to write into (default: the first descriptor_dirs)")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.cli.render import plural
    from sfx_pipeline.manifest import import_manifest

    project = open_project(args, out)
    result = import_manifest(args.manifest, project.config, args.into)
    for raw, name in result.renamed:
        out.message(f"name {raw!r} is written as {name!r} (letters, digits, _ and - make file names every OS takes)")
    for path in result.written:
        out.message(f"wrote {path}")
    for path in result.skipped:
        out.message(f"kept {path} (already exists)")
    for problem in result.problems:
        out.message(f"error: {problem}")
    if result.problems:
        out.message(f"{plural(len(result.problems), 'error')}: nothing written; fix the manifest and import it again")
    else:
        out.message(f"{plural(len(result.written), 'descriptor')} written, {len(result.skipped)} kept")
    out.emit({"written": list(result.written), "kept": list(result.skipped),
              "renamed": [{"from": raw, "to": name} for raw, name in result.renamed],
              "problems": [p.to_json() for p in result.problems]}, [])
    return Exit.ERROR if result.problems else Exit.OK


COMMAND = Command(
    name="import-manifest",
    summary='turn a JSON manifest {"effects": [...]} into descriptors',
    run=_run,
    arguments=_arguments,
    options=("json",),
    example="sfx-pipeline import-manifest sfx_manifest.json --into sfx/imported",
)
