"""Observe: watchdog's threads → `classify` → a callback. Knows nothing about builds.

What is watched: each descriptor folder recursively, and the project root on its own (not
recursively) for `sfx-pipeline.toml` and for descriptor folders that do not exist yet.
Watching the whole root recursively would be simpler but costs in proportion to the
whole game project: an inotify watch per folder (Unity's Library/ and Godot's .godot/
hold thousands) and, with --poll, a stat of every file in the project on every poll.
A descriptor folder that is missing is watched through its nearest existing parent, and
`refresh` re-plans the watches whenever folders or the config change.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from sfx_pipeline.config import ProjectConfig
from sfx_pipeline.watch.changes import Change, classify, paths_in

# Asked of the OS up front, so reads (the build opens every descriptor) are never even sent.
_EVENTS = [FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent,
           DirCreatedEvent, DirDeletedEvent, DirMovedEvent]

Want = tuple[str, bool]  # (folder, recursive)
Identity = tuple[int, int]  # (st_dev, st_ino): a folder deleted and made again is a new one


def watch_plan(config: ProjectConfig) -> dict[Want, Identity]:
    """The folders to watch now, each with the identity it has now."""
    root = str(config.root)
    wanted = {(root, False)}
    for folder in config.descriptor_dirs:
        path = os.path.join(root, *folder.split("/"))
        if os.path.isdir(path):
            wanted.add((path, True))
            continue
        while not os.path.isdir(path) and len(path) > len(root):
            path = os.path.dirname(path)  # its creation shows up in the nearest parent there is
        wanted.add((path, False))
    plan: dict[Want, Identity] = {}
    for want in wanted:
        try:
            st = os.stat(want[0])
        except OSError:
            continue  # gone since isdir(): the next refresh sees it
        plan[want] = (st.st_dev, st.st_ino)
    return plan


class Observation:
    def __init__(self, config: Callable[[], ProjectConfig], on_change: Callable[[Change], None],
                 poll: float | None = None) -> None:
        self.config = config
        self.poll = poll
        self.observer: BaseObserver = PollingObserver(timeout=poll) if poll else Observer()
        self._handler = _Handler(config, on_change)
        self._watches: dict[Want, tuple[ObservedWatch, Identity]] = {}

    @property
    def folders(self) -> list[Want]:
        return sorted(self._watches)

    def start(self) -> None:
        self.refresh(self.config())
        self.observer.start()  # a polling watch takes its first snapshot here, before any build

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)  # daemon threads: never hang the exit on them

    def refresh(self, config: ProjectConfig) -> None:
        plan = watch_plan(config)
        for want, (watch, identity) in list(self._watches.items()):
            if plan.get(want) != identity:  # no longer wanted, or deleted and made again
                self.observer.unschedule(watch)
                del self._watches[want]
        for want, identity in plan.items():
            if want not in self._watches:
                try:
                    watch = self.observer.schedule(self._handler, want[0], recursive=want[1], event_filter=_EVENTS)
                except OSError:
                    continue  # deleted meanwhile; its parent's watch reports it
                self._watches[want] = (watch, identity)


class _Handler(FileSystemEventHandler):
    def __init__(self, config: Callable[[], ProjectConfig], on_change: Callable[[Change], None]) -> None:
        self.config = config
        self.on_change = on_change

    def dispatch(self, event: FileSystemEvent) -> None:
        config = self.config()
        for path, directory in paths_in(event):
            change = classify(_as_configured(path, config.root), config, directory)
            if change is not None:
                self.on_change(change)


def _as_configured(path: str, root: Path) -> str:
    """macOS's FSEvents reports real paths (/private/var/... for /var/...): spell them like the root."""
    configured = str(root)
    if path.startswith(configured + os.sep):
        return path
    real = os.path.realpath(configured)
    if real != configured and path.startswith(real + os.sep):
        return configured + path[len(real):]
    return path
