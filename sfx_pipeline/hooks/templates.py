"""Copy a template tree from the package into the project, keeping what the user changed."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# What happened to each file; `hook install` prints these. ADDED: a hook appended to a file.
WROTE, REPLACED, ADDED, UP_TO_DATE, KEPT = "wrote", "replaced", "added to", "up to date", "kept"


def source(kind: str) -> Traversable:
    """The template folder for `kind`, laid out as it goes into the project."""
    return resources.files("sfx_pipeline") / "hooks" / kind


def files(kind: str) -> Iterator[tuple[Traversable, str]]:
    """(template file, project-relative '/'-separated path) for every file of `kind`."""
    yield from _walk(source(kind), "")


def _walk(node: Traversable, prefix: str) -> Iterator[tuple[Traversable, str]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name == "__pycache__":
            continue
        relative = f"{prefix}{child.name}"
        if child.is_dir():
            yield from _walk(child, relative + "/")
        else:
            yield child, relative


def copy(kind: str, root: Path, force: bool) -> list[tuple[str, str]]:
    """Bytes are compared and written as they are, so a second install finds them identical
    on every platform (no newline translation)."""
    outcomes = []
    for template, relative in files(kind):
        data = template.read_bytes()
        target = root / relative
        if target.exists():
            if target.read_bytes() == data:
                outcomes.append((relative, UP_TO_DATE))
                continue
            if not force:
                outcomes.append((relative, KEPT))
                continue
        outcome = REPLACED if target.exists() else WROTE
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        outcomes.append((relative, outcome))
    return outcomes
