"""Act: one Project for the whole session, a full build at start, then one build per batch.

One Project, so its backends stay made: the AudioGen model loads once per `watch`, not
once per save. A batch only says *that* something changed; what to rebuild is found by
stat, never taken from the events, so nothing can be missed because an event named the
wrong file. Every build is a full survey (descriptors and outputs checked by stat),
unless `patched` is given: then a save that changed only descriptors plans just those,
when the last plan's record vouches for the rest (the command line's `watch` does this).
"""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass
from typing import Callable

from sfx_pipeline.build import Options, Report, build
from sfx_pipeline.config import ProjectConfig
from sfx_pipeline.errors import UserError
from sfx_pipeline.names import CONFIG_NAME
from sfx_pipeline.project import Project
from sfx_pipeline.watch.changes import Change, Kind
from sfx_pipeline.watch.debounce import Debouncer

# The longest a wait for the next signal may block. A lock wait without a timeout cannot
# be interrupted on Windows, so Ctrl-C would not land until the next file event.
_MAX_BLOCK = 0.5


@dataclass(frozen=True)
class Rebuild:
    """One build of the session, for callers that count or inspect them."""

    number: int  # 1 is the full rescan at start
    changes: frozenset[Change]  # empty for the rescan
    report: Report | None  # None when the build stopped on a UserError
    error: str = ""


# A build of just what changed since the last plan, when that plan's record vouches for the
# rest (the CLI's patched build: cli/build_part.py); None when the project must be planned
# in full. The library knows nothing of the record: the command line passes it.
Patched = Callable[[Project, Options], "Report | None"]


def show_build(report: Report) -> None:
    """The library prints nothing; the command line passes its own (cli/commands/watch.py)."""


class Loop:
    def __init__(
        self,
        project: Project,
        options: Options,
        debouncer: Debouncer[Change],
        *,
        show: Callable[[Report], None] = show_build,
        on_build: Callable[[Rebuild], None] | None = None,
        on_layout: Callable[[ProjectConfig], None] | None = None,
        patched: Patched | None = None,
    ) -> None:
        self.project = project
        self.patched = patched
        self.options = options
        self.debouncer = debouncer
        self.show = show
        self.on_build = on_build
        self.on_layout = on_layout  # folders or config changed: what to watch may have too
        self.builds = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._config_broken = False

    # any thread ----------------------------------------------------------------------

    def signal(self, change: Change) -> None:
        with self._cond:
            self.debouncer.signal(change)
            self._cond.notify()

    def stop(self) -> None:
        """Return from `run` once the build in progress (if any) is done."""
        with self._cond:
            self._stopping = True
            self._cond.notify()

    def pending(self) -> frozenset[Change]:
        """What changed since the last build began (read under the lock: the observer adds to it)."""
        with self._cond:
            return self.debouncer.pending

    @property
    def idle(self) -> bool:
        """No build running and nothing waiting to be built."""
        with self._cond:
            return not self.debouncer.building and not self.debouncer.pending

    # the loop's own thread -----------------------------------------------------------

    def run(self) -> None:
        with self._cond:
            self.debouncer.begin()  # what changes during the rescan is built right after it
        try:
            self._build(frozenset())
        finally:
            self._finish()
        while (batch := self._next_batch()) is not None:
            try:
                self._handle(batch)
            finally:
                self._finish()

    def _next_batch(self) -> frozenset[Change] | None:
        with self._cond:
            while not self._stopping:
                batch = self.debouncer.take()
                if batch is not None:
                    return batch
                wait = self.debouncer.wait()
                self._cond.wait(_MAX_BLOCK if wait is None else min(wait, _MAX_BLOCK))
            return None

    def _finish(self) -> None:
        with self._cond:
            self.debouncer.finish()

    def _handle(self, batch: frozenset[Change]) -> None:
        kinds = {c.kind for c in batch}
        if Kind.CONFIG in kinds:
            if not self._reload():
                return
        elif self._config_broken:
            self.project.reporter.line(f"not building: {CONFIG_NAME} still has errors; fix it and save it")
            return
        if (Kind.CONFIG in kinds or Kind.FOLDER in kinds) and self.on_layout:
            self.on_layout(self.project.config)
        self._build(batch)

    def _reload(self) -> bool:
        try:
            self.project.reload_config()
        except (UserError, OSError) as exc:
            self._config_broken = True
            self.project.reporter.line(f"error: {exc}")
            self.project.reporter.line(f"waiting for the next save of {CONFIG_NAME}; the last build stays as it is")
            return False
        self._config_broken = False
        return True

    def _build(self, changes: frozenset[Change]) -> None:
        self.project.reporter.line(_describe(changes))
        report, error = None, ""
        try:
            report = self.patched(self.project, self.options) if self.patched and changes else None
            if report is None:
                report = build(self.project, self.options)
        except UserError as exc:  # e.g. an unreadable lock: say so and keep watching
            error = str(exc)
            self.project.reporter.line(f"error: {exc}")
        except Exception as exc:  # noqa: BLE001 - a bug: say so loudly, but the session outlives one bad build
            error = f"{type(exc).__name__}: {exc}"
            self.project.reporter.line("sfx-pipeline crashed on this build (a bug, please report it):\n"
                                       + traceback.format_exc().rstrip())
            self.project.reporter.line("still watching: the next save builds again")
        else:
            self.show(report)
        self.builds += 1
        if self.on_build:
            self.on_build(Rebuild(self.builds, changes, report, error))


def _describe(changes: frozenset[Change]) -> str:
    if not changes:
        return "full rescan"
    if any(c.kind == Kind.CONFIG for c in changes):
        return f"{CONFIG_NAME} changed: replanning everything"
    paths = sorted(c.path for c in changes)
    more = f" and {len(paths) - 1} more" if len(paths) > 1 else ""
    return f"changed: {paths[0]}{more}"
