"""Which file-system events mean "rebuild": a pure function of a path and the project config.

A build reads exactly two kinds of file: `*.sfx.toml` under the descriptor folders (hidden
names skipped, as `scan.find` skips them) and `sfx-pipeline.toml`. Nothing else may
count: editors' swap, backup and probe files (`.door.sfx.toml.swp`, `door.sfx.toml~`,
vim's `4913`), our own hidden temp files (`.door.wav.1234.tmp`), the `.sfx-pipeline/` state,
and the WAVs, sidecars and lock a build writes; otherwise every build would trigger the next.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
)

from sfx_pipeline.config import ProjectConfig
from sfx_pipeline.names import CONFIG_NAME, SUFFIX
from sfx_pipeline.states import StrEnum


class Kind(StrEnum):
    DESCRIPTOR = "descriptor"
    CONFIG = "config"  # sfx-pipeline.toml: everything is planned again
    FOLDER = "folder"  # a folder that holds or leads to descriptors (made, moved, deleted)


# Reads (opened, closed without writing) and attribute changes are left out on purpose: the
# build itself opens every descriptor, and counting that would make each build start the next.
_FILE_EVENTS = {EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED, EVENT_TYPE_CLOSED}
# A folder's own "modified" only says its listing changed; the files say what changed.
_FOLDER_EVENTS = {EVENT_TYPE_CREATED, EVENT_TYPE_DELETED, EVENT_TYPE_MOVED}


@dataclass(frozen=True, order=True)
class Change:
    kind: Kind
    path: str  # project-relative, '/'-separated


def classify(path: str, config: ProjectConfig, directory: bool = False) -> Change | None:
    """What a change at `path` means for the build, or None when the build never reads it."""
    rel = _relative(path, str(config.root))
    if rel is None:
        return None
    if rel == CONFIG_NAME:
        return None if directory else Change(Kind.CONFIG, rel)
    if any(part.startswith(".") for part in rel.split("/")):
        return None  # hidden: swap and temp files, .sfx-pipeline/, .git/, .godot/
    if directory:
        return Change(Kind.FOLDER, rel) if _holds_descriptors(rel, config) else None
    # A descriptor counts wherever `build` would read it, even inside the import folder
    # (a Unity project may keep descriptors next to its sounds); WAVs there never match.
    if rel.endswith(SUFFIX) and any(_within(rel, d) for d in config.descriptor_dirs):
        return Change(Kind.DESCRIPTOR, rel)
    return None


def paths_in(event: FileSystemEvent) -> Iterable[tuple[str, bool]]:
    """(path, is a folder) for each path an event names that may matter: both ends of a
    move (renaming a temp file over a descriptor saves it; renaming a descriptor away deletes it)."""
    wanted = _FOLDER_EVENTS if event.is_directory else _FILE_EVENTS
    if event.event_type not in wanted:
        return []
    paths = [event.src_path]
    if event.event_type == EVENT_TYPE_MOVED and event.dest_path:
        paths.append(event.dest_path)
    return [(os.fsdecode(p), event.is_directory) for p in paths]


def _holds_descriptors(rel: str, config: ProjectConfig) -> bool:
    """A folder created, deleted or moved inside a descriptor folder, or one on the way to it
    (creating `sfx/` itself must be seen so it can be watched). Folders inside the import
    folder are the build's own doing, unless they lead to a descriptor folder."""
    if any(_within(d, rel) for d in config.descriptor_dirs):
        return True  # the descriptor folder itself or one of its parents
    inside = any(_within(rel, d) for d in config.descriptor_dirs)
    return inside and not _within(rel, config.import_dir)


def _within(rel: str, folder: str) -> bool:
    return rel == folder or rel.startswith(folder + "/")


def _relative(path: str, root: str) -> str | None:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        return None
    if rel in (os.curdir, os.pardir) or rel.startswith(os.pardir + os.sep):
        return None
    return rel.replace(os.sep, "/")
