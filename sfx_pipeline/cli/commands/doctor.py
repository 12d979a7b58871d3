"""`sfx-pipeline doctor`: can this machine run AudioGen? Each problem with its fix."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.exits import Exit
from sfx_pipeline.cli.output import Important, Output

if TYPE_CHECKING:
    from sfx_pipeline.doctor import Finding


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--smoke", action="store_true",
                   help="also load the configured model and generate one 1 s sound with it (pass or fail, and the time)")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline import doctor, schema
    from sfx_pipeline.cli.context import root
    from sfx_pipeline.config import cache_dir as default_cache_dir
    from sfx_pipeline.config import load
    from sfx_pipeline.errors import ProjectNotFound

    try:
        config = load(root(args))
        generator, cache_dir = config.generator, config.cache_dir
    except ProjectNotFound:
        generator, cache_dir = schema.defaults(schema.GENERATOR), default_cache_dir(Path.cwd(), None)
        out.result("info  no sfx-pipeline.toml here: checking the default model")
    findings = doctor.run(generator["model"], generator["device"])
    out.result(*(_line(f) for f in findings))
    out.flush()  # the smoke test takes a while: show what is known first
    if args.smoke and any(f.level == doctor.FAIL for f in findings):
        out.result("info  smoke test skipped: fix the failures above first")
    elif args.smoke:
        out.result(f"info  smoke test: loading {generator['model']} and generating one sound...")
        out.flush()
        findings = findings + doctor.smoke(generator, cache_dir)
        out.result(_line(findings[-1]))
    out.emit({"findings": [{"level": f.level, "text": f.text, "fix": f.fix} for f in findings]}, [])
    return Exit.ERROR if any(f.level == doctor.FAIL for f in findings) else Exit.OK


def _line(finding: Finding) -> str:
    from sfx_pipeline.doctor import FAIL, WARN

    return Important(finding) if finding.level in (FAIL, WARN) else str(finding)


COMMAND = Command(
    name="doctor",
    summary="can this machine run AudioGen? each problem with its fix",
    run=_run,
    arguments=_arguments,
    options=("json",),
    example="sfx-pipeline doctor --smoke",
)
