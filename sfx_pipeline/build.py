"""Plan → generate → render → install, one asset at a time as results arrive.

Each finished asset is cached, installed and written to the lock before the next batch
is waited on, so a build stopped at any point keeps everything it finished. Failures are
per asset: the message goes in the report and the rest of the build goes on.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from sfx_pipeline import lock as lock_mod
from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.audio.provenance import made_by_us
from sfx_pipeline.config import ProjectConfig
from sfx_pipeline.errors import Problem
from sfx_pipeline.hashing import digest
from sfx_pipeline.journal import Journal
from sfx_pipeline.links import is_link_at
from sfx_pipeline.lock import LockEntry
from sfx_pipeline.names import LOCK_NAME
from sfx_pipeline.paths import fold
from sfx_pipeline.plan import NOT_A_FILE_THERE, Action
from sfx_pipeline.project import Project, Survey
from sfx_pipeline.selection import check_selection, selected
from sfx_pipeline.sound import Target
from sfx_pipeline.state import MAX_OUTPUT_BYTES, clear_in_the_way, drop_abandoned_temps, make_state_dir
from sfx_pipeline.states import Outcome, Status
from sfx_pipeline.untrusted import (
    NOT_A_FILE,
    Refused,
    drop_leftover_temps,
    read_regular,
    removable_sidecar,
    writable_output,
)

if TYPE_CHECKING:
    from sfx_pipeline.produce import Produced  # imported when there is audio to make: see _build

# What --dry-run reports for each planned status (orphans depend on --prune).
_DRY_RUN = {Status.FRESH: Outcome.FRESH, Status.STALE: Outcome.WOULD_BUILD, Status.PENDING: Outcome.KEPT,
            Status.MODIFIED: Outcome.KEPT, Status.ERROR: Outcome.ERROR}
_LOCK_FLUSH_SECONDS = 1.0  # rewrite the lock at most this often while building
# ... and at most this share of the build's time: writing out a lock of 20,000 sounds takes
# over a second, and rewriting it every second made a big first build quadratic.
_LOCK_FLUSH_SHARE = 0.1


@dataclass
class Options:
    dry_run: bool = False
    force: bool = False
    prune: bool = False
    only: list[str] = field(default_factory=list)


@dataclass
class Result:
    output: str
    outcome: Outcome
    reasons: tuple[str, ...] = ()
    name: str = ""
    backend: str = ""
    placeholder: bool = False
    message: str = ""

    def to_json(self) -> dict[str, object]:
        return {"output": self.output, "outcome": self.outcome, "reasons": list(self.reasons), "name": self.name,
                "backend": self.backend, "placeholder": self.placeholder, "message": self.message}


@dataclass
class Report:
    results: list[Result] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    audio_seconds: float = 0.0  # of newly generated audio
    generate_seconds: float = 0.0
    left_behind: int = 0  # outputs kept edited by hand or orphaned: what makes `status` exit 2
    # Fresh assets counted but not among `results`, and how many of them are placeholders: a
    # text report prints no line for a fresh asset, and a patched build (cli/build_part.py)
    # then makes no Result for each of tens of thousands. Never so in a JSON report.
    untold_fresh: int = 0
    untold_placeholders: int = 0

    def count(self, *outcomes: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome in outcomes)

    def counts(self) -> dict[str, int]:
        n: Counter[str] = Counter(r.outcome for r in self.results)  # one pass: every plan of a CLI run counts its reports
        n[Outcome.FRESH] += self.untold_fresh
        placeholders = sum(1 for r in self.results if r.placeholder and r.outcome not in GONE)
        return counts_of(n, placeholders + self.untold_placeholders, len(self.problems))

    @property
    def exit_code(self) -> int:
        """1 for errors and failures; else 2 when outputs stay that `status` flags (edited by
        hand, orphaned), so a build and the status after it agree; else 0."""
        if self.problems or self.count(Outcome.FAILED):
            return 1
        return 2 if self.left_behind else 0


# Outcomes of sounds no descriptor defines (left behind, or removed by --prune): not counted
# among the project's placeholders
GONE = (Outcome.ORPHAN, Outcome.PRUNED)


def counts_of(outcomes: Mapping[str, int], placeholders: int, errors: int) -> dict[str, int]:
    """A report's counts from how many results had each outcome, how many of those not
    GONE are placeholders, and how many problems it has (`Report.counts`)."""
    n = outcomes
    return {
        "generated": n.get(Outcome.GENERATED, 0),
        "reused": n.get(Outcome.CACHED, 0),
        "installed": n.get(Outcome.GENERATED, 0) + n.get(Outcome.CACHED, 0),
        "failed": n.get(Outcome.FAILED, 0),
        "fresh": n.get(Outcome.FRESH, 0),
        "kept": n.get(Outcome.KEPT, 0),
        "pruned": n.get(Outcome.PRUNED, 0),
        "orphans": n.get(Outcome.ORPHAN, 0),
        "errors": errors,
        "placeholders": placeholders,
    }


def build(project: Project, options: Options) -> Report:
    with holding_build_lock(project):
        if project.snapshots and not options.dry_run:
            project.plans_again()  # once more if it changes something: see below
        builder = Builder(project, project.survey(force=options.force, record=False), options)
        report = builder.run()
        if builder.changed and project.snapshots:
            project.survey()  # plan what is there now: it leaves the snapshot the next no-op replays
        else:
            project.record_plan()  # nothing changed: the first plan is the last
        return report


@contextmanager
def holding_build_lock(project: Project) -> Iterator[None]:
    """Hold the project's build lock, so a hook, `watch` and `accept` never interleave writes."""
    from filelock import FileLock, Timeout  # imported here: a plan alone (status, a no-op) holds no lock

    guard = FileLock(str(_guard_path(project.config)))
    try:
        guard.acquire(timeout=1)
    except Timeout:
        project.reporter.line("waiting for another sfx-pipeline build in this project to finish...")
        guard.acquire()
    try:
        yield
    finally:
        guard.release()


def lock_entry(t: Target, output_digest: str, batch: dict[str, Any], accepted: bool = False) -> LockEntry:
    """What the lock says about an installed (or accepted) output of `t`."""
    return LockEntry(
        descriptor=t.spec.descriptor, entry=t.spec.entry, name=t.spec.name, backend=t.backend,
        placeholder=t.placeholder, model=str(t.generation.get("model", "")), seed=t.spec.seed,
        generation_key=t.generation_key, render_key=t.render_key, output_digest=output_digest,
        generation=t.generation, render=t.render, batch=batch, accepted=accepted,
    )


REPLACED_DIR = "replaced"  # under the state folder: accepted hand edits a build replaced


def _guard_path(config: ProjectConfig) -> Path:
    """The build lock's file: in the state folder, or, where that cannot hold it (read-only,
    damaged), in the temp folder under a name derived from the project's path."""
    path = config.state_dir / "build.lock"
    try:
        if is_link_at(path) or os.path.lexists(path) and not os.path.isfile(path):
            raise Refused(f"{path} is not a regular file")  # opening a FIFO to write would wait forever
        if not is_link_at(config.state_dir):
            make_state_dir(config.state_dir)
            with open(path, "a"):
                return path
    except OSError:
        clear_in_the_way(path)
        try:
            make_state_dir(config.state_dir)
            with open(path, "a"):
                return path
        except OSError:
            pass
    return Path(tempfile.gettempdir()) / f"sfx-pipeline-{digest(str(config.root))[:16]}.lock"


class Builder:
    def __init__(self, project: Project, survey: Survey, options: Options,
                 write_lock: Callable[[Path, lock_mod.Lock], None] = lock_mod.save) -> None:
        """`write_lock`: how the lock is written (cli/build_part.py gives the Builder only the
        entries it plans and writes them into the file's text among the others)."""
        self.project = project
        self.write_lock = write_lock
        self.survey = survey
        self.options = options
        self.lock = lock_mod.Lock(dict(survey.lock.assets), dict(survey.lock.reproducibility))
        self.report = Report(problems=list(survey.problems))
        # The lock may spell a path in other case (written on Windows); keep one spelling.
        self._spelling = {fold(path): path for path in self.lock.assets}
        self._last_flush = time.monotonic()
        self._flush_cost = 0.0  # seconds the last lock write took
        self._dirty = survey.lock.rewrite  # paths respelled, a journal folded in: write them
        self._journal = Journal(project.config.state_dir)
        self._targets_on_disk: set[tuple[int, int]] | None = None
        self.changed = False  # did this build write, install or remove anything?
        self.settled = 0  # results of the assets that needed no new audio: the first ones of the report

    def run(self) -> Report:
        start = time.perf_counter()
        check_selection(self.survey.actions, self.options.only)
        todo = [a for a in self.survey.actions if selected(a, self.options.only)]
        try:
            if self.options.dry_run:
                self._dry_run(todo)
            else:
                drop_leftover_temps(self.project.root, {a.output for a in self.survey.actions if a.output})
                drop_abandoned_temps(self.project.config.state_dir)
                self._settle(todo)
                self._build([a for a in todo if a.status == Status.STALE])
        finally:
            if not self.options.dry_run:
                self._flush(force=True)
                self._journal.close(folded=not self._dirty)
                self.project.save_memos(self.project.digests)
        self.report.seconds = time.perf_counter() - start
        return self.report

    def report_unchanged(self) -> Report | None:
        """What `run` would report, without running it, when it would change nothing (None
        when it would). Such a run only reports, but it also sweeps temp files beside the
        outputs and drops the journal, which only the holder of the build lock may do: a
        `status` recording what `build` would print holds none, and a build starting
        meanwhile may be writing both."""
        if self.options != Options() or not changes_nothing(self.survey):
            return None
        self._settle(self.survey.actions)  # here it records, installs and removes nothing: see changes_nothing
        return self.report

    # the assets that need no new audio ------------------------------------------------

    def _dry_run(self, actions: list[Action]) -> None:
        for a in actions:
            self._result(a, self._dry_outcome(a.status))
            if a.status == Status.MODIFIED or (a.status == Status.ORPHAN and not self.options.prune):
                self.report.left_behind += 1

    def _dry_outcome(self, status: Status) -> Outcome:
        if status == Status.ORPHAN:
            return Outcome.WOULD_PRUNE if self.options.prune else Outcome.ORPHAN
        return _DRY_RUN[status]

    def _settle(self, actions: list[Action]) -> None:
        for a in actions:
            if a.status == Status.FRESH and a.target and a.on_disk:
                if not _recorded(a):
                    accepted = bool(a.entry and a.entry.accepted and a.entry.output_digest == a.on_disk)
                    promise = self.project.generators.promise(a.target)  # nothing generates it: as the backend stands
                    self._record(a.target, a.on_disk, a.entry.batch if a.entry else {}, promise, accepted)
                self._result(a, Outcome.FRESH)
            elif a.status == Status.MODIFIED:
                self._result(a, Outcome.KEPT, _kept_because(a))
                self.report.left_behind += 1
            elif a.status == Status.PENDING:
                self._result(a, Outcome.KEPT)
            elif a.status == Status.ORPHAN:
                self._orphan(a)

    def _orphan(self, a: Action) -> None:
        entry = a.entry
        assert entry is not None, "an orphan is a lock entry that no descriptor defines"
        if a.on_disk is None:  # nothing left to remove: forget it
            self._forget(a.output)
            return
        if not self.options.prune:
            self._result(a, Outcome.ORPHAN, "--prune removes it")
            self.report.left_behind += 1
        elif a.on_disk == NOT_A_FILE:
            self._result(a, Outcome.KEPT, "not a regular file: never removed")
            self.report.left_behind += 1
        elif a.on_disk != entry.output_digest and not self.options.force:
            self._result(a, Outcome.KEPT, "edited by hand; --prune --force removes it")
            self.report.left_behind += 1
        else:
            try:
                note = self._keep_copy(a) if entry.accepted and a.on_disk == entry.output_digest else ""
            except OSError as exc:  # never remove an edit the user accepted without its copy
                self._result(a, Outcome.KEPT, f"not removed: no copy of the accepted edit could be kept ({exc.strerror or exc})")
                self.report.left_behind += 1
                return
            refused = self._remove(a)
            self.changed = self.changed or not refused
            self._result(a, Outcome.KEPT if refused else Outcome.PRUNED, refused or note)
            self.report.left_behind += 1 if refused else 0

    def _remove(self, a: Action) -> str:
        """Delete an orphan and its engine files; or say why it is not ours to delete.

        Proven at the moment of deleting, from the bytes themselves (the plan's digest may
        come from a memo): what the lock recorded for this path, or with --force a WAV that
        says sfx-pipeline wrote it (edited since, perhaps), never someone else's file.
        Never through a link, never a file a current sound writes under another spelling."""
        try:
            path = writable_output(self.project.root, a.output)
            data = read_regular(path, MAX_OUTPUT_BYTES, follow=False)
        except FileNotFoundError:
            self._forget(a.output)
            return ""
        except OSError as exc:
            return f"not removed: {exc}"
        if a.entry is None or digest(data) != a.entry.output_digest and not (self.options.force and made_by_us(data)):
            return "not removed: it is not a file sfx-pipeline wrote"
        if self._is_a_target(path):
            return "not removed: a current sound writes this file under another spelling"
        for sidecar in self.project.engine.sidecars(path):
            if removable_sidecar(sidecar):
                sidecar.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        self.project.digests.forget(a.output)
        self._forget(a.output)
        return ""

    def _is_a_target(self, path: Path) -> bool:
        if self._targets_on_disk is None:
            self._targets_on_disk = set()
            for other in self.survey.actions:
                if other.target is not None and other.on_disk is not None:
                    try:
                        st = os.stat(self.project.root / other.output)
                    except OSError:
                        continue
                    self._targets_on_disk.add((st.st_dev, st.st_ino))
        st = os.stat(path)
        return (st.st_dev, st.st_ino) in self._targets_on_disk

    # the assets that do ---------------------------------------------------------------

    def _build(self, actions: list[Action]) -> None:
        by_output = {a.target.spec.output_path: (a, a.target) for a in actions if a.target is not None}
        from sfx_pipeline.produce import Producer  # numpy and the renderer: only when there is audio to make

        producer = Producer(self.project.cache, self.project.generators, self.project.reporter)
        first = self.settled = len(self.report.results)
        try:
            for done in producer.produce([t for _, t in by_output.values()]):
                a, t = by_output[done.target.spec.output_path]
                if done.data is None:
                    self._result(a, Outcome.FAILED, done.error)
                else:
                    self._install(a, t, done)
        finally:
            self.report.audio_seconds += producer.totals.audio_seconds
            self.report.generate_seconds += producer.totals.generate_seconds
            # Sounds arrive as they finish; the report lists them in plan order, stable across runs.
            position = {a.output: i for i, a in enumerate(actions)}
            self.report.results[first:] = sorted(self.report.results[first:],
                                                 key=lambda r: position.get(r.output, len(position)))

    def _install(self, a: Action, t: Target, done: Produced) -> None:
        assert done.data is not None, "a failed target is reported, never installed"
        data, note = done.data, done.note
        try:
            path = writable_output(self.project.root, t.spec.output_path)
            if a.entry and a.entry.accepted and a.on_disk == a.entry.output_digest:
                note = "; ".join(filter(None, [note, self._keep_copy(a)]))
            self.changed = True
            self.project.engine.before_install(path, t.spec, t.spec.output_path)
            write_atomic(path, data)
        except OSError as exc:
            self._result(a, Outcome.FAILED, f"cannot write {t.spec.output_path}: {exc.strerror or exc}")
            return
        output_digest = digest(data)
        self.project.digests.record(self.project.root, t.spec.output_path, output_digest)
        self._record(t, output_digest, done.batch, done.reproducibility)
        self._result(a, done.outcome, note)

    def _keep_copy(self, a: Action) -> str:
        """An accepted hand edit is about to be replaced: copy it out of the way first."""
        output = a.output
        data = read_regular(writable_output(self.project.root, output), MAX_OUTPUT_BYTES, follow=False)
        copy = self.project.config.state_dir / REPLACED_DIR / output
        copy.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(copy, data)
        return f"the accepted edit is kept in {copy.relative_to(self.project.root).as_posix()}"

    # lock and report ------------------------------------------------------------------

    def _record(self, t: Target, output_digest: str, batch: dict[str, Any], promise: str,
                accepted: bool = False) -> None:
        """Write what is now at `t`'s output into the lock; `promise`: what its backend says
        about rebuilding it ("" says nothing: a sound judged by a model this machine lacks)."""
        entry = lock_entry(t, output_digest, batch, accepted)
        if promise:
            self.lock.reproducibility[t.backend] = promise
        path = t.spec.output_path
        old = self._spelling.get(fold(path))
        if old is not None and old != path:
            del self.lock.assets[old]
        self._spelling[fold(path)] = path
        if self.lock.assets.get(path) != entry:
            self.lock.assets[path] = entry
            self._dirty = True
            if not self._journal.record(path, entry):
                self._flush()  # no journal here: rewrite the lock now and then instead

    def _forget(self, output: str) -> None:
        if self.lock.assets.pop(output, None) is not None:
            self._dirty = True

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        wait = max(_LOCK_FLUSH_SECONDS, self._flush_cost / _LOCK_FLUSH_SHARE)
        if self._dirty and (force or now - self._last_flush >= wait):
            self.lock.assets = dict(sorted(self.lock.assets.items()))
            try:
                self.changed = True
                self.write_lock(self.project.config.lock_path, self.lock)
            except OSError as exc:  # a full disk, a file size limit: the build goes on
                if force:
                    self.report.problems.append(Problem(
                        LOCK_NAME, "", f"cannot be written: {exc.strerror or exc}",
                        "free some space and build again: the WAVs installed now are recognised then"))
                return
            finally:
                self._last_flush = time.monotonic()
                self._flush_cost = self._last_flush - now
            self._dirty = False

    def _result(self, a: Action, outcome: Outcome, message: str = "") -> None:
        t, e = a.target, a.entry
        self.report.results.append(Result(
            output=a.output, outcome=outcome, reasons=a.reasons, message=message,
            name=t.spec.name if t else (e.name if e else ""),
            backend=t.backend if t else (e.backend if e else ""),
            placeholder=t.placeholder if t else bool(e and e.placeholder),
        ))


def changes_nothing(survey: Survey) -> bool:
    """Would a build without --force or --prune leave every file, the lock included, as it is?
    (Then running it has no side effect, and what it reports can be replayed: see noop.py.)"""
    return not survey.lock.rewrite and not any(map(has_work, survey.actions))


def has_work(a: Action) -> bool:
    """Would a build without --force or --prune write anything for this action?"""
    if a.status == Status.STALE or (a.status == Status.ORPHAN and a.on_disk is None):
        return True
    return a.status == Status.FRESH and not (a.target and a.on_disk and _recorded(a))


def _kept_because(a: Action) -> str:
    if NOT_A_FILE_THERE in a.reasons:  # never written through, not even with --force
        return "sfx-pipeline never writes through a link or over a folder: move it aside, then build"
    name = a.target.spec.name if a.target else a.output
    return f"edited outside sfx-pipeline; `sfx-pipeline accept {name}` keeps it, --force replaces it"


def _recorded(a: Action) -> bool:
    """Does the lock already say exactly this about a fresh asset? (the no-op fast path)"""
    e, t = a.entry, a.target
    return (e is not None and t is not None and e.output_digest == a.on_disk and e.render_key == t.render_key
            and (e.descriptor, e.entry, e.name) == (t.spec.descriptor, t.spec.entry, t.spec.name))
