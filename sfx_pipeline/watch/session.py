"""A watch session: the observer, the debouncer and the loop, wired together.

Blocking `run()` in any thread; `stop()` from any other. Ctrl-C in the thread that runs it
raises KeyboardInterrupt out of `run()` after stopping the observer: a build it interrupts
has already flushed the lock (build.py's `finally`) and removed its temp file (write_atomic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sfx_pipeline.build import Options, Report
from sfx_pipeline.project import Project
from sfx_pipeline.watch import DEFAULT_SETTLE
from sfx_pipeline.watch.changes import Change
from sfx_pipeline.watch.debounce import Debouncer
from sfx_pipeline.watch.loop import Loop, Patched, Rebuild, show_build
from sfx_pipeline.watch.observe import Observation


@dataclass(frozen=True)
class Settings:
    settle: float = DEFAULT_SETTLE
    poll: float | None = None  # seconds between polls; None: the OS's file events
    max_wait: float | None = None  # None: max(1 s, 10 settles)

    def effective_settle(self) -> float:
        """A poll reports a save that straddles it in two polls, `poll` seconds apart; waiting
        less than that after the first would build the half-saved file, then build again."""
        return max(self.settle, 1.5 * self.poll) if self.poll else self.settle

    def effective_max_wait(self) -> float:
        settle = self.effective_settle()
        return max(self.max_wait if self.max_wait is not None else max(1.0, 10 * settle), settle)


class Session:
    def __init__(
        self,
        project: Project,
        options: Options | None = None,
        settings: Settings = Settings(),
        *,
        on_build: Callable[[Rebuild], None] | None = None,
        show: Callable[[Report], None] = show_build,
        patched: Patched | None = None,
    ) -> None:
        self.settings = settings
        if patched is None:
            # Each rebuild plans the whole project: no snapshot for a no-op to replay
            # (cli/noop.py) on every save. The first `status` after the session leaves one.
            project.recorder = None
        project.plans_again()  # one plan per save: unchanged files' objects are made once
        debouncer: Debouncer[Change] = Debouncer(settings.effective_settle(), settings.effective_max_wait())
        self.loop = Loop(project, options or Options(), debouncer, show=show, on_build=on_build,
                         on_layout=lambda config: self.observation.refresh(config), patched=patched)
        self.observation = Observation(lambda: project.config, self.loop.signal, settings.poll)

    @property
    def builds(self) -> int:
        return self.loop.builds

    def run(self) -> None:
        self.observation.start()  # before the rescan, so nothing saved during it is missed
        try:
            self.loop.run()
        finally:
            self.observation.stop()

    def stop(self) -> None:
        self.loop.stop()
