"""`sfx-pipeline hook install godot|unity|pre-commit`: lay editor integrations into a project.

The Godot addon and the Unity editor scripts are real files under this package (godot/,
unity/), laid out exactly as they go into the project, so they can be linted and parsed as
what they are. Like `init`, nothing the user changed is ever overwritten without --force.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sfx_pipeline.errors import UserError
from sfx_pipeline.hooks import precommit, templates
from sfx_pipeline.hooks.recipe import ci_recipe
from sfx_pipeline.hooks.templates import ADDED, KEPT, REPLACED, WROTE
from sfx_pipeline.report import Reporter

KINDS = ("godot", "unity", "pre-commit")

# What the user does next, which the files cannot do for themselves.
_NEXT = {
    "godot": "enable it in Project > Project Settings > Plugins; then Project > Tools > Build sound effects",
    "unity": "Unity compiles it on focus; then Tools > Sound Effects > Build (Settings… to point at the CLI)",
    "pre-commit": "run `pre-commit install` once in the repository so the hook runs on each commit",
}

__all__ = ["KINDS", "ci_recipe", "install", "register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("hook", help="install editor and commit hooks that run the build")
    actions = p.add_subparsers(title="actions", metavar="ACTION", required=True)
    inst = actions.add_parser("install", help="add the Godot addon, Unity editor scripts or a pre-commit hook")
    inst.add_argument("kind", choices=KINDS, help="which integration")
    inst.add_argument("--project", "-C", type=Path, default=None, metavar="DIR",
                      help="the game project (default: the folder holding sfx-pipeline.toml, at or above here)")
    inst.add_argument("--force", action="store_true", help="also replace files that were changed since they were installed")
    inst.set_defaults(run=_install_cmd)


def _install_cmd(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline.config import find_root

    root = find_root(args.project or Path.cwd())
    outcomes = _install(args.kind, root, args.force)
    for path, outcome in outcomes:
        if outcome == KEPT:
            reporter.line(f"kept {path} (it differs from the installed version: changed by you? --force replaces it)")
        else:
            reporter.line(f"{outcome} {path}")
    reporter.line(f"next: {_NEXT[args.kind]}")
    if args.kind == "pre-commit":
        reporter.line("")
        reporter.line(ci_recipe(_engine(root)).rstrip("\n"))
    return 0


def _engine(root: Path) -> str:
    """The project's engine for the CI recipe; a config with errors must not hide the recipe
    (the hook was written already, and `build` will report those errors)."""
    from sfx_pipeline.config import detect_engine, load

    try:
        return load(root).engine
    except UserError:
        return detect_engine(root)


def install(kind: str, root: Path, force: bool = False) -> list[str]:
    """Install one integration into the project at `root`; returns the paths written,
    relative to `root` and '/'-separated."""
    return [path for path, outcome in _install(kind, root, force) if outcome in (WROTE, REPLACED, ADDED)]


def _install(kind: str, root: Path, force: bool) -> list[tuple[str, str]]:
    root = root.resolve()  # the pre-commit hook looks above it for the git work tree
    if kind == "godot":
        if not (root / "project.godot").is_file():
            raise UserError(f"no project.godot in {root}",
                            "the addon goes next to project.godot: keep sfx-pipeline.toml there, or pass --project")
        return templates.copy("godot", root, force)
    if kind == "unity":
        if not (root / "Assets").is_dir():
            raise UserError(f"no Assets folder in {root}",
                            "the editor scripts go into the Unity project's Assets/: keep sfx-pipeline.toml "
                            "in the Unity project folder, or pass --project")
        return templates.copy("unity", root, force)
    if kind == "pre-commit":
        return [precommit.install(root)]
    raise UserError(f"unknown hook kind {kind!r}", f"choose one of: {', '.join(KINDS)}")
