"""`sfx-pipeline hook install godot|unity|pre-commit`: lay editor integrations into a project.

The Godot addon and the Unity editor scripts are real files under this package (godot/,
unity/), laid out exactly as they go into the project, so they can be linted and parsed as
what they are. Like `init`, nothing the user changed is ever overwritten without --force.
"""

from __future__ import annotations

from pathlib import Path

from sfx_pipeline.errors import UserError
from sfx_pipeline.hooks import precommit, templates
from sfx_pipeline.hooks.recipe import ci_recipe
from sfx_pipeline.hooks.templates import ADDED, KEPT, REPLACED, WROTE

KINDS = ("godot", "unity", "pre-commit")

__all__ = ["KINDS", "KEPT", "ci_recipe", "engine_of", "install", "install_all"]


def engine_of(root: Path) -> str:
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
    return [path for path, outcome in install_all(kind, root, force) if outcome in (WROTE, REPLACED, ADDED)]


def install_all(kind: str, root: Path, force: bool = False) -> list[tuple[str, str]]:
    """Install one integration; every file it touched with what happened to it (wrote, kept…)."""
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
