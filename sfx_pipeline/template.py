"""`sfx-pipeline init`: lay the example project into a game project, never overwriting."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from sfx_pipeline import jsonschema
from sfx_pipeline.config import DEFAULT_IMPORT_DIR, detect_engine
from sfx_pipeline.errors import UserError
from sfx_pipeline.names import CONFIG_NAME

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

_GODOT_PROJECT = """; Engine configuration file, written by `sfx-pipeline init` for an empty folder.
config_version=5

[application]
config/name="{name}"
"""


def lay_out(folder: Path, engine: str | None) -> list[Path]:
    """Write the template into `folder`; returns what was written, relative to it."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / CONFIG_NAME).exists():
        raise UserError(f"{folder / CONFIG_NAME} already exists", "this project is already set up; run `sfx-pipeline build`")
    engine = engine or detect_engine(folder)
    written: list[Path] = []
    if engine == "godot" and not (folder / "project.godot").exists():
        _write(folder, Path("project.godot"), _GODOT_PROJECT.format(name=folder.resolve().name), written)
    if engine == "unity" and not (folder / "Assets").is_dir():
        # What the editor scripts (`hook install unity`) and the import folder go into; Unity
        # adds ProjectSettings/ and the rest when it first opens the folder.
        (folder / DEFAULT_IMPORT_DIR["unity"]).mkdir(parents=True)
        written.append(Path(DEFAULT_IMPORT_DIR["unity"]))
    template = resources.files("sfx_pipeline") / "project_template"
    for source, relative in _walk(template, Path()):
        text = source.read_text(encoding="utf-8")
        if relative.name == CONFIG_NAME:
            text = text.replace("@ENGINE@", engine).replace("@IMPORT_DIR@", DEFAULT_IMPORT_DIR[engine])
        _write(folder, relative, text, written)
    written += [Path(name) for name in jsonschema.write(folder)]
    return written


def _walk(node: Traversable, relative: Path) -> Iterator[tuple[Traversable, Path]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        if child.is_dir():
            yield from _walk(child, relative / child.name)
        else:
            yield child, relative / child.name


def _write(folder: Path, relative: Path, text: str, written: list[Path]) -> None:
    target = folder / relative
    if target.exists():
        return  # the user's file wins; init only adds
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8", newline="\n")
    written.append(relative)
