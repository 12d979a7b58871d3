"""`sfx-pipeline hook install godot|unity|pre-commit`: editor and commit integrations."""

from __future__ import annotations

import argparse

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.output import Output
from sfx_pipeline.hooks import KINDS

# What the user does next, which the files cannot do for themselves.
_NEXT = {
    "godot": "enable it in Project > Project Settings > Plugins; then Project > Tools > Build sound effects",
    "unity": "Unity compiles it on focus; then Tools > Sound Effects > Build (Settings… to point at the CLI)",
    "pre-commit": "run `pre-commit install` once in the repository so the hook runs on each commit. "
                  "It runs the sfx-pipeline found on PATH (`language: system`): commit from a shell where "
                  "`sfx-pipeline --version` works, e.g. with its virtual environment active",
}


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=KINDS, help="which integration")
    p.add_argument("--force", action="store_true",
                   help="also replace files that were changed since they were installed")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.cli.context import root
    from sfx_pipeline.hooks import KEPT, ci_recipe, engine_of, install_all

    project = root(args)
    outcomes = install_all(args.kind, project, args.force)
    for path, outcome in outcomes:
        if outcome == KEPT:
            out.warning(f"kept {path} (it differs from the installed version: changed by you? --force replaces it)")
        else:
            out.message(f"{outcome} {path}")
    out.message(f"next: {_NEXT[args.kind]}")
    recipe = ci_recipe(engine_of(project)).rstrip("\n") if args.kind == "pre-commit" else ""
    out.emit({"files": [{"path": path, "outcome": outcome} for path, outcome in outcomes], "ci_recipe": recipe},
             ["", recipe] if recipe else [])
    return 0


COMMAND = Command(
    name="hook",
    summary="install editor and commit hooks that run the build",
    actions=(
        Command("install", "add the Godot addon, Unity editor scripts or a pre-commit hook", _run, _arguments,
                options=("json",), example="sfx-pipeline hook install pre-commit"),
    ),
)
