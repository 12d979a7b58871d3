"""`watch`: the pure parts (filter, debouncer) with no clock or disk, then the real thing:
a real project in tmp_path, real file operations, a real observer thread, the procedural
backend. No timing is asserted; waits are for an expected state, with a generous timeout."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest
from watchdog.events import (
    DirModifiedEvent,
    DirMovedEvent,
    FileClosedNoWriteEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileOpenedEvent,
)

from sfx_pipeline import cli
from sfx_pipeline import lock as lock_mod
from sfx_pipeline.audio import provenance
from sfx_pipeline.audio.wav import decode
from sfx_pipeline.build import Options
from sfx_pipeline.cli.build_part import rebuild
from sfx_pipeline.cli.commands.watch import shows
from sfx_pipeline.cli.context import record_snapshot
from sfx_pipeline.cli.output import Output
from sfx_pipeline.config import load
from sfx_pipeline.project import Project
from sfx_pipeline.report import QuietReporter
from sfx_pipeline.watch.changes import Change, Kind, classify, paths_in
from sfx_pipeline.watch.debounce import Debouncer
from sfx_pipeline.watch.loop import Rebuild
from sfx_pipeline.watch.observe import watch_plan
from sfx_pipeline.watch.session import Session, Settings
from support.fastpath import SNAPSHOT, TWO_SOUNDS, made_by
from support.project import CONFIG as BASE_CONFIG
from support.project import GameProject

TIMEOUT = 30.0  # for states we expect; generous so a loaded CI machine never flakes
POLL = 0.05  # the polling observer's interval in these tests


# the debouncer, on a fake clock ---------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def debouncer(settle: float = 0.1, max_wait: float = 1.0) -> tuple[Debouncer[str], Clock]:
    clock = Clock()
    return Debouncer(settle, max_wait, clock), clock


def test_a_burst_fires_once_after_it_settles() -> None:
    d, clock = debouncer()
    assert d.take() is None and d.wait() is None  # nothing signalled: nothing to wait for
    for i in range(20):
        d.signal("sfx/door.sfx.toml" if i % 2 else "sfx/rain.sfx.toml")
        clock.advance(0.005)
    assert d.take() is None  # still settling
    clock.advance(0.1)
    assert d.take() == {"sfx/door.sfx.toml", "sfx/rain.sfx.toml"}
    d.finish()
    clock.advance(5)
    assert d.take() is None and d.wait() is None  # fired once, nothing left


def test_each_signal_restarts_the_settle_time() -> None:
    d, clock = debouncer(settle=0.1)
    d.signal("a")
    clock.advance(0.08)
    d.signal("b")
    clock.advance(0.08)  # 0.16 after the first, 0.08 after the last
    assert d.take() is None and d.wait() == pytest.approx(0.02)
    clock.advance(0.02)
    assert d.take() == {"a", "b"}


def test_max_wait_caps_a_continuous_stream() -> None:
    d, clock = debouncer(settle=0.1, max_wait=1.0)
    fired = []
    for _ in range(300):  # a save every 50 ms for 15 s: never 100 ms of quiet
        d.signal("sfx/loop.sfx.toml")
        if d.take() is not None:
            fired.append(clock.now)
            d.finish()
        clock.advance(0.05)
    assert len(fired) >= 10  # it builds at least once a max_wait, never starves
    assert all(b - a >= 1.0 - 1e-9 for a, b in zip(fired, fired[1:]))  # and no more often


def test_signals_during_a_build_make_exactly_one_more_batch() -> None:
    d, clock = debouncer(settle=0.1)
    d.signal("a")
    clock.advance(0.2)
    assert d.take() == {"a"}  # a build starts
    for name in ("b", "c", "b", "d"):
        clock.advance(0.3)  # far apart: each would be its own batch if nothing were building
        d.signal(name)
        assert d.take() is None and d.wait() is None  # never while the build runs
    clock.advance(0.5)
    d.finish()
    assert d.take() == {"b", "c", "d"}
    d.finish()
    assert d.take() is None


def test_the_rescan_at_start_holds_signals_like_any_build() -> None:
    d, clock = debouncer()
    d.begin()
    d.signal("a")
    clock.advance(1)
    assert d.take() is None
    d.finish()
    assert d.take() == {"a"}


def test_settle_and_max_wait_are_checked() -> None:
    with pytest.raises(ValueError):
        Debouncer(-0.1, 1.0)
    with pytest.raises(ValueError):
        Debouncer(2.0, 1.0)


def test_polling_settles_for_longer_than_a_poll() -> None:
    # a save that straddles a poll shows up in two polls: settling for less than the time
    # between them would build the half-saved file and then build again
    assert Settings(settle=0.1).effective_settle() == 0.1
    assert Settings(settle=0.1, poll=1.0).effective_settle() >= 1.0
    assert Settings(settle=2.0, poll=0.1).effective_settle() == 2.0
    assert Settings(settle=0.1, poll=1.0).effective_max_wait() >= Settings(settle=0.1, poll=1.0).effective_settle()


# the filter: a pure function of a path and the config -------------------------------------

def config_for(root: Path, text: str = BASE_CONFIG):
    root.mkdir(parents=True, exist_ok=True)
    (root / "sfx-pipeline.toml").write_text(text, encoding="utf-8")
    return load(root)


@pytest.mark.parametrize("relative, directory, expected", [
    ("sfx/door.sfx.toml", False, Change(Kind.DESCRIPTOR, "sfx/door.sfx.toml")),
    ("sfx/doors/wood/open.sfx.toml", False, Change(Kind.DESCRIPTOR, "sfx/doors/wood/open.sfx.toml")),
    ("sfx-pipeline.toml", False, Change(Kind.CONFIG, "sfx-pipeline.toml")),
    ("sfx/doors", True, Change(Kind.FOLDER, "sfx/doors")),
    ("sfx", True, Change(Kind.FOLDER, "sfx")),  # the descriptor folder itself (made, deleted)
    # editors' swap, backup and probe files
    ("sfx/.door.sfx.toml.swp", False, None),
    ("sfx/door.sfx.toml~", False, None),
    ("sfx/4913", False, None),
    ("sfx/.#door.sfx.toml", False, None),
    ("sfx/door.sfx.toml.tmp.1234", False, None),
    ("sfx/.hidden/door.sfx.toml", False, None),  # hidden folders are skipped, as build skips them
    ("sfx/.hidden", True, None),
    # what a build writes
    ("audio/door.wav", False, None),
    ("audio/.door.wav.abc123.tmp", False, None),
    ("audio/doors", True, None),
    ("sfx-pipeline.lock", False, None),
    (".sfx-pipeline.lock.x1y2.tmp", False, None),
    (".sfx-pipeline/digests.json", False, None),
    (".sfx-pipeline", True, None),
    # everything else
    ("door.sfx.toml", False, None),  # outside the descriptor folders: build never reads it
    ("sfxtra/door.sfx.toml", False, None),  # a sibling that merely starts like it
    ("sfx/door.toml", False, None),
    ("sfx/readme.txt", False, None),
    ("project.godot", False, None),
    ("sfx-pipeline.toml", True, None),
    (".git/index", False, None),
])
def test_what_counts_as_a_change(tmp_path: Path, relative: str, directory: bool, expected: Change | None) -> None:
    config = config_for(tmp_path / "game")
    path = os.path.join(str(config.root), *relative.split("/"))
    assert classify(path, config, directory) == expected


def test_paths_outside_the_project_never_count(tmp_path: Path) -> None:
    config = config_for(tmp_path / "game")
    assert classify(str(tmp_path / "other" / "sfx" / "a.sfx.toml"), config) is None
    assert classify(str(tmp_path / "game"), config, directory=True) is None


def test_descriptors_count_wherever_build_reads_them(tmp_path: Path) -> None:
    # a Unity-style layout: descriptors next to the sounds, the import folder inside a descriptor folder
    config = config_for(tmp_path / "game", 'import_dir = "Assets/Audio"\ndescriptor_dirs = ["Assets", "extra/sfx"]\n')
    root = str(config.root)
    assert classify(f"{root}/Assets/Audio/door.sfx.toml", config) == Change(Kind.DESCRIPTOR, "Assets/Audio/door.sfx.toml")
    assert classify(f"{root}/Assets/Audio/door.wav", config) is None
    assert classify(f"{root}/Assets/Audio/door.wav.meta", config) is None
    assert classify(f"{root}/Assets/Audio/doors", config, directory=True) is None  # the build makes these
    assert classify(f"{root}/Assets/Sfx", config, directory=True) == Change(Kind.FOLDER, "Assets/Sfx")
    assert classify(f"{root}/extra", config, directory=True) == Change(Kind.FOLDER, "extra")  # on the way to extra/sfx
    assert classify(f"{root}/other", config, directory=True) is None


def test_which_events_name_paths(tmp_path: Path) -> None:
    a, b = str(tmp_path / ".a.tmp"), str(tmp_path / "a.sfx.toml")
    assert list(paths_in(FileMovedEvent(a, b))) == [(a, False), (b, False)]  # both ends of a rename
    assert list(paths_in(DirMovedEvent(a, b))) == [(a, True), (b, True)]
    assert list(paths_in(FileModifiedEvent(b))) == [(b, False)]
    # the build opens every descriptor: reads must never count
    assert not list(paths_in(FileOpenedEvent(b))) and not list(paths_in(FileClosedNoWriteEvent(b)))
    assert not list(paths_in(DirModifiedEvent(str(tmp_path))))


# the real watcher ---------------------------------------------------------------------------

@dataclass
class Watching:
    session: Session
    project: Project
    rebuilds: list[Rebuild] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    @property
    def builds(self) -> int:
        return self.session.builds

    def wait_for(self, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not ready():
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.005)

    def wait_rebuilt(self, wav: Path, prompt: str) -> Rebuild:
        """The build that installed `prompt` into `wav`, once it has finished."""
        self.wait_for(f"{wav.name} with {prompt!r}", lambda: prompt_of(wav) == prompt)
        self.wait_for("the build to end", lambda: self.session.loop.idle)
        return self.rebuilds[-1]

    def wait_builds(self, count: int) -> Rebuild:
        self.wait_for(f"build {count}", lambda: self.builds >= count)
        return self.rebuilds[count - 1]

    def settle_down(self) -> None:
        """Long enough for any event still on its way to have made a build."""
        settings = self.session.settings
        time.sleep(max(0.5, 4 * settings.effective_settle() + 4 * (settings.poll or 0)))
        self.wait_for("the watcher to be idle", lambda: self.session.loop.idle)


@contextmanager
def watching(root: Path, poll: float | None = None, options: Options | None = None,
             reporter=None, cli: bool = True) -> Iterator[Watching]:
    """A session in a thread. `cli`: as `sfx-pipeline watch` runs it (each plan recorded, and
    a save that changed only descriptors built by the patched path); else as the library
    runs it, planning the whole project on every save."""
    project = Project(root, reporter or QuietReporter())
    if cli:
        project.recorder = record_snapshot  # as the command line opens every project
    rebuilds: list[Rebuild] = []
    session = Session(project, options, Settings(poll=poll), on_build=rebuilds.append, show=shows(Output()),
                      patched=rebuild if cli else None)
    w = Watching(session, project, rebuilds)

    def run() -> None:
        try:
            session.run()
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            w.errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield w
    finally:
        session.stop()
        thread.join(TIMEOUT)
    assert not thread.is_alive(), "stop() did not end the watcher"
    assert not w.errors, w.errors


def prompt_of(wav: Path) -> str | None:
    """The prompt an installed WAV was built from, if it is a whole file we wrote."""
    try:
        data = wav.read_bytes()
    except FileNotFoundError:
        return None
    if not provenance.read(wav):  # our chunks, PCM digest intact
        return None
    return decode(data).info.get("INAM")


def descriptor(prompt: str) -> str:
    return f'prompt = "{prompt}"\nduration = 0.5\nseed = 7\n'


def save_in_place(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def save_by_rename(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.tmp{os.getpid()}")  # how VS Code, JetBrains and many tools save
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def save_by_recreate(path: Path, text: str) -> None:
    path.unlink()
    path.write_text(text, encoding="utf-8")


def save_like_vim(path: Path, text: str) -> None:
    probe = path.with_name("4913")  # vim checks it may create files in the folder
    probe.write_text("")
    probe.unlink()
    backup = path.with_name(path.name + "~")
    os.rename(path, backup)
    path.write_text(text, encoding="utf-8")
    backup.unlink()


def save_in_a_burst(path: Path, text: str) -> None:
    for i in range(19):  # an editor or script writing the file 20 times in quick succession
        path.write_text(text.replace('"', f'"draft {i} ', 1), encoding="utf-8")
    path.write_text(text, encoding="utf-8")


SAVES = {"in place": save_in_place, "temp then rename": save_by_rename, "delete and recreate": save_by_recreate,
         "vim": save_like_vim, "burst of 20": save_in_a_burst}
OBSERVERS = {"events": None, "poll": POLL}


@pytest.mark.parametrize("observer", OBSERVERS)
@pytest.mark.parametrize("style", SAVES)
def test_each_save_makes_exactly_one_rebuild(project: GameProject, style: str, observer: str) -> None:
    door = project.write("sfx/door.sfx.toml", descriptor("door v1"))
    project.write("sfx/rain.sfx.toml", descriptor("rain"))
    rain_wav, door_wav = project.wav("audio/rain.wav"), project.wav("audio/door.wav")
    with watching(project.root, OBSERVERS[observer]) as w:
        first = w.wait_builds(1)
        assert first.report.counts()["generated"] == 2 and prompt_of(door_wav) == "door v1"
        rain_before = rain_wav.stat()

        SAVES[style](door, descriptor("door v2"))
        w.wait_for("the new door", lambda: prompt_of(door_wav) == "door v2")
        second = w.wait_builds(2)
        w.settle_down()

        assert w.builds == 2, [sorted(r.changes) for r in w.rebuilds]
        assert Change(Kind.DESCRIPTOR, "sfx/door.sfx.toml") in second.changes
        assert [(r.output, r.outcome) for r in second.report.results if r.outcome != "fresh"] == [
            ("audio/door.wav", "generated")]
        assert (rain_wav.stat().st_ino, rain_wav.stat().st_mtime_ns) == (rain_before.st_ino, rain_before.st_mtime_ns)
    assert not [p.name for p in project.root.rglob("*.tmp")]


def test_a_save_is_built_by_the_patched_path_as_a_whole_build_builds_it(project: GameProject, tmp_path: Path) -> None:
    """`sfx-pipeline watch` builds a save that changed only descriptors by planning just those
    (cli/build_part.rebuild): it leaves the lock and WAVs a whole build of the same save does."""
    door = project.write("sfx/door.sfx.toml", descriptor("door v1"))
    project.write("sfx/rain.sfx.toml", descriptor("rain"))
    project.write("sfx/ui/set.sfx.toml", TWO_SOUNDS)
    twin = tmp_path / "twin"
    with watching(project.root) as w:
        w.wait_builds(1)
        assert made_by(project) == "plan"
        shutil.copytree(project.root, twin)
        save_by_rename(door, descriptor("door v2"))
        second = w.wait_rebuilt(project.wav("audio/door.wav"), "door v2")
        assert made_by(project) == "delta"  # only the saved descriptor was planned
        assert second.report.counts()["generated"] == 1 and second.report.counts()["fresh"] == 3
        assert [r.output for r in second.report.results][-1] == "audio/door.wav"  # what it built comes last
    (twin / "sfx/door.sfx.toml").write_text(descriptor("door v2"), encoding="utf-8")
    (twin / SNAPSHOT).unlink()
    assert cli.main(["build", "--project", str(twin)]) == 0  # the same save, the whole project planned
    assert outputs(project.root) == outputs(twin)


def test_a_session_the_library_runs_plans_in_full_and_records_nothing(project: GameProject) -> None:
    door = project.write("sfx/door.sfx.toml", descriptor("door v1"))
    with watching(project.root, cli=False) as w:
        w.wait_builds(1)
        save_in_place(door, descriptor("door v2"))
        w.wait_rebuilt(project.wav("audio/door.wav"), "door v2")
    assert not (project.root / SNAPSHOT).exists()


def outputs(root: Path) -> dict[str, bytes]:
    """The lock and every WAV, by path."""
    found = {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*.wav")}
    return {**found, "sfx-pipeline.lock": (root / "sfx-pipeline.lock").read_bytes()}


def test_a_broken_descriptor_is_reported_and_picked_up_again(project: GameProject) -> None:
    door = project.write("sfx/door.sfx.toml", descriptor("door"))
    project.write("sfx/rain.sfx.toml", descriptor("rain"))
    with watching(project.root) as w:
        w.wait_builds(1)
        rain = project.wav("audio/rain.wav").read_bytes()
        door.write_text('prompt = "door\nduration = 0.5\n', encoding="utf-8")  # unterminated string
        broken = w.wait_builds(2)
        assert [p.file for p in broken.report.problems] == ["sfx/door.sfx.toml"]
        assert broken.report.problems[0].line == 1
        assert "error" in project.capsys.readouterr().out  # shown as a build shows it
        assert prompt_of(project.wav("audio/door.wav")) == "door"  # the last good sound is kept

        project.write("sfx/rain.sfx.toml", descriptor("rain, harder"))  # the others still build
        w.wait_for("rain rebuilt", lambda: prompt_of(project.wav("audio/rain.wav")) == "rain, harder")

        door.write_text(descriptor("door, fixed"), encoding="utf-8")
        assert not w.wait_rebuilt(project.wav("audio/door.wav"), "door, fixed").report.problems
        assert project.wav("audio/rain.wav").read_bytes() != rain


@pytest.mark.parametrize("prune", [False, True])
def test_a_deleted_descriptor_leaves_an_orphan_until_pruned(project: GameProject, prune: bool) -> None:
    door = project.write("sfx/door.sfx.toml", descriptor("door"))
    project.write("sfx/rain.sfx.toml", descriptor("rain"))
    with watching(project.root, options=Options(prune=prune)) as w:
        w.wait_builds(1)
        door.unlink()
        rebuild = w.wait_builds(2)
        outcome = {r.output: r.outcome for r in rebuild.report.results}["audio/door.wav"]
        assert outcome == ("pruned" if prune else "orphan")
        assert project.wav("audio/door.wav").exists() is not prune
        assert project.wav("audio/rain.wav").exists()


def test_a_config_change_replans_everything_with_the_same_generator(project: GameProject) -> None:
    for name in ("door", "rain", "wind"):
        project.write(f"sfx/{name}.sfx.toml", descriptor(name))
    with watching(project.root) as w:
        w.wait_builds(1)
        loaded = w.project.generators.loaded()
        assert len(loaded) == 1
        before = {p.name: p.read_bytes() for p in (project.root / "audio").glob("*.wav")}

        config = project.root / "sfx-pipeline.toml"
        save_by_rename(config, BASE_CONFIG + "\n[defaults.output]\nfade_out = 0.3\n")
        rebuild = w.wait_builds(2)
        w.settle_down()
        assert w.builds == 2 and Change(Kind.CONFIG, "sfx-pipeline.toml") in rebuild.changes
        outcomes = {r.output: r.outcome for r in rebuild.report.results}
        assert outcomes == {f"audio/{n}.wav": "cached" for n in ("door", "rain", "wind")}  # re-rendered, not regenerated
        after = {p.name: p.read_bytes() for p in (project.root / "audio").glob("*.wav")}
        assert all(after[n] != before[n] for n in before)

        project.write("sfx/door.sfx.toml", descriptor("door, louder"))
        assert w.wait_rebuilt(project.wav("audio/door.wav"), "door, louder").report.counts()["generated"] == 1
        # one generator for the whole session: the AudioGen model would stay loaded the same way
        assert [id(g) for g in w.project.generators.loaded()] == [id(g) for g in loaded]


def test_a_broken_config_waits_for_its_next_save(project: GameProject) -> None:
    door = project.write("sfx/door.sfx.toml", descriptor("door"))
    reporter = QuietReporter()
    with watching(project.root, reporter=reporter) as w:
        w.wait_builds(1)
        config = project.root / "sfx-pipeline.toml"
        config.write_text(BASE_CONFIG + "import_dir = 3\n", encoding="utf-8")
        w.wait_for("the config error", lambda: any("waiting for the next save" in line for line in reporter.lines))
        assert any("import_dir" in line for line in reporter.lines)

        door.write_text(descriptor("door v2"), encoding="utf-8")  # not built against a config in doubt
        w.wait_for("the descriptor save", lambda: any("still has errors" in line for line in reporter.lines))
        assert w.builds == 1 and prompt_of(project.wav("audio/door.wav")) == "door"

        config.write_text(BASE_CONFIG, encoding="utf-8")
        w.wait_rebuilt(project.wav("audio/door.wav"), "door v2")
        assert w.builds == 2


def test_changes_made_while_not_watching_are_built_at_start(project: GameProject) -> None:
    door = project.write("sfx/door.sfx.toml", descriptor("door"))
    project.write("sfx/rain.sfx.toml", descriptor("rain"))
    assert project.run("build").code == 0
    door.write_text(descriptor("door, changed offline"), encoding="utf-8")
    project.write("sfx/wind.sfx.toml", descriptor("wind"))
    with watching(project.root) as w:
        first = w.wait_builds(1)
        assert first.changes == frozenset()
        outcomes = {r.output: r.outcome for r in first.report.results}
        assert outcomes == {"audio/door.wav": "generated", "audio/rain.wav": "fresh", "audio/wind.wav": "generated"}
        assert prompt_of(project.wav("audio/door.wav")) == "door, changed offline"


class GatedReporter(QuietReporter):
    """Holds the first build at its first progress report until the test lets it go:
    a build that is long for exactly as long as the test needs."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = threading.Event()
        self.release = threading.Event()

    def progress(self, done: int, total: int, label: str) -> None:
        if not self.release.is_set():
            self.inside.set()
            assert self.release.wait(TIMEOUT)


def test_saves_during_a_long_build_make_exactly_one_more(project: GameProject) -> None:
    names = ("door", "rain", "wind", "fire")
    for name in names:
        project.write(f"sfx/{name}.sfx.toml", descriptor(f"{name} v1"))
    reporter = GatedReporter()
    with watching(project.root, reporter=reporter) as w:
        assert reporter.inside.wait(TIMEOUT)  # the first build is running, and held
        for name in names[:3]:
            project.write(f"sfx/{name}.sfx.toml", descriptor(f"{name} v2"))
            time.sleep(0.3)  # far apart: without the build these would be three batches
        project.write("sfx/door.sfx.toml", descriptor("door v3"))
        expected = {Change(Kind.DESCRIPTOR, f"sfx/{n}.sfx.toml") for n in names[:3]}
        w.wait_for("the saves to be queued", lambda: w.session.loop.pending() == expected)
        assert w.builds == 0
        reporter.release.set()

        w.wait_builds(2)
        w.settle_down()
        assert w.builds == 2 and w.rebuilds[1].changes == expected
        assert w.rebuilds[1].report.counts()["generated"] == 3
        assert [prompt_of(project.wav(f"audio/{n}.wav")) for n in names] == ["door v3", "rain v2", "wind v2", "fire v1"]


def test_a_build_error_is_reported_and_watching_goes_on(project: GameProject) -> None:
    door = project.write("sfx/door.sfx.toml", descriptor("door"))
    reporter = QuietReporter()
    with watching(project.root, reporter=reporter) as w:
        w.wait_builds(1)
        lock = project.root / "sfx-pipeline.lock"
        good = lock.read_bytes()
        lock.write_text("<<<<<<< HEAD\n", encoding="utf-8")  # a merge conflict: every build refuses it
        door.write_text(descriptor("door v2"), encoding="utf-8")
        failed = w.wait_builds(2)
        assert failed.report is None and "cannot be read" in failed.error
        assert any(line.startswith("error: sfx-pipeline.lock") for line in reporter.lines)

        lock.write_bytes(good)  # the conflict resolved; the next save builds again
        door.write_text(descriptor("door v3"), encoding="utf-8")
        w.wait_for("door rebuilt", lambda: prompt_of(project.wav("audio/door.wav")) == "door v3")
        assert lock_mod.load(lock).assets["audio/door.wav"].descriptor == "sfx/door.sfx.toml"


def test_a_descriptor_folder_made_after_start_is_watched(project: GameProject) -> None:
    with watching(project.root) as w:
        first = w.wait_builds(1)
        assert first.report.results == []
        (project.root / "sfx" / "doors").mkdir(parents=True)
        open_ = project.write("sfx/doors/open.sfx.toml", descriptor("door opening"))
        w.wait_for("the first sound", lambda: prompt_of(project.wav("audio/doors/open.wav")) == "door opening")
        open_.write_text(descriptor("door opening slowly"), encoding="utf-8")  # now watched from inside
        w.wait_for("the rebuild", lambda: prompt_of(project.wav("audio/doors/open.wav")) == "door opening slowly")


@pytest.mark.parametrize("observer", OBSERVERS)
def test_a_descriptor_folder_deleted_and_made_again_is_watched_again(project: GameProject, observer: str) -> None:
    project.write("sfx/door.sfx.toml", descriptor("door"))
    with watching(project.root, OBSERVERS[observer]) as w:
        w.wait_builds(1)
        shutil.rmtree(project.root / "sfx")
        w.wait_for("the orphan", lambda: w.builds >= 2 and w.session.loop.idle)
        assert [r.outcome for r in w.rebuilds[-1].report.results] == ["orphan"]
        (project.root / "sfx").mkdir()
        door = project.write("sfx/door.sfx.toml", descriptor("door, again"))
        w.wait_rebuilt(project.wav("audio/door.wav"), "door, again")
        door.write_text(descriptor("door, once more"), encoding="utf-8")  # seen through the new folder's watch
        w.wait_rebuilt(project.wav("audio/door.wav"), "door, once more")


def test_new_descriptor_dirs_in_the_config_are_watched(project: GameProject) -> None:
    project.write("sfx/door.sfx.toml", descriptor("door"))
    wind = project.write("content/sounds/wind.sfx.toml", descriptor("wind"))
    with watching(project.root) as w:
        w.wait_builds(1)
        assert not project.wav("audio/wind.wav").exists()
        config = BASE_CONFIG.replace('descriptor_dirs = ["sfx"]', 'descriptor_dirs = ["sfx", "content/sounds"]')
        (project.root / "sfx-pipeline.toml").write_text(config, encoding="utf-8")
        w.wait_rebuilt(project.wav("audio/wind.wav"), "wind")
        wind.write_text(descriptor("wind, gusting"), encoding="utf-8")
        w.wait_rebuilt(project.wav("audio/wind.wav"), "wind, gusting")


def test_a_missing_descriptor_folder_is_watched_through_its_parent(tmp_path: Path) -> None:
    config = config_for(tmp_path / "game", 'descriptor_dirs = ["sfx", "content/sounds/sfx"]\n')
    root = str(config.root)
    assert set(watch_plan(config)) == {(root, False)}  # neither exists: the root sees them made
    (config.root / "content" / "sounds").mkdir(parents=True)
    (config.root / "sfx").mkdir()
    assert set(watch_plan(config)) == {(root, False), (os.path.join(root, "sfx"), True),
                                       (os.path.join(root, "content", "sounds"), False)}


def test_only_passes_through_to_each_build(project: GameProject) -> None:
    door = project.write("sfx/door.sfx.toml", descriptor("door"))
    rain = project.write("sfx/rain.sfx.toml", descriptor("rain"))
    with watching(project.root, options=Options(only=["door"])) as w:
        assert [r.output for r in w.wait_builds(1).report.results] == ["audio/door.wav"]
        door.write_text(descriptor("door v2"), encoding="utf-8")
        rain.write_text(descriptor("rain v2"), encoding="utf-8")
        w.wait_for("door rebuilt", lambda: prompt_of(project.wav("audio/door.wav")) == "door v2")
        assert not project.wav("audio/rain.wav").exists()


# the command ------------------------------------------------------------------------------

@pytest.fixture
def with_watch() -> None:
    """The `watch` command is registered like every other."""


def test_the_help_says_when_polling_is_needed(with_watch: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["watch", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert exit_.value.code == 0
    for words in ("--poll", "--settle", "--prune", "--only", "network drives", "WSL", "Docker"):
        assert words in out


def test_bad_seconds_are_refused(with_watch: None, project: GameProject) -> None:
    for args in (["--settle", "-1"], ["--settle", "soon"], ["--poll", "0"]):
        with pytest.raises(SystemExit) as exit_:
            cli.main(["watch", "--project", str(project.root), *args])
        assert exit_.value.code == 64  # a usage error (EX_USAGE), never 2 ("stale")


def test_a_broken_config_at_start_is_an_error(with_watch: None, project: GameProject) -> None:
    (project.root / "sfx-pipeline.toml").write_text("import_dir = [\n", encoding="utf-8")
    run = project.run("watch")
    assert run.code == 1 and "sfx-pipeline.toml:" in run.err


def watch_process(root: Path, *args: str) -> subprocess.Popen:
    argv = [sys.executable, "-m", "sfx_pipeline"]
    return subprocess.Popen([*argv, "watch", "--project", str(root), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ.copy())


@pytest.mark.parametrize("flags", [(), ("-v",), ("--prune",)])
def test_the_command_builds_a_save_by_the_patched_path_unless_it_prunes(project: GameProject,
                                                                       flags: tuple[str, ...]) -> None:
    """`sfx-pipeline watch`, as users run it: a save that changed only a descriptor is planned
    alone (the snapshot it leaves was patched), and with -v its report still lists the
    fresh sounds; with --prune every save plans the whole project and no plan is recorded."""
    pruning = "--prune" in flags
    door = project.write("sfx/door.sfx.toml", descriptor("door v1"))
    project.write("sfx/rain.sfx.toml", descriptor("rain"))
    proc = watch_process(project.root, *flags)
    printed: list[str] = []
    reader = threading.Thread(target=lambda: printed.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        wait_for_wavs(project.root / "audio", 2, proc)
        time.sleep(0.5)  # past the rescan, waiting for saves
        save_by_rename(door, descriptor("door v2"))
        deadline = time.monotonic() + TIMEOUT
        while not any(line.startswith("1 installed") for line in printed):  # the save's build, reported
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the save was not built"
            time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait(timeout=TIMEOUT)
        reader.join(TIMEOUT)
    assert prompt_of(project.wav("audio/door.wav")) == "door v2"
    assert _patched(project) != pruning and (project.root / SNAPSHOT).exists() != pruning
    assert any(line.startswith("fresh      audio/rain.wav") for line in printed) == ("-v" in flags), printed


def _patched(project: GameProject) -> bool:
    try:
        return made_by(project) == "delta"
    except (OSError, ValueError):  # not written yet
        return False


def wait_for_wavs(folder: Path, count: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT * 2
    while len(list(folder.glob("*.wav"))) < count:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the build did not start"
        time.sleep(0.005)


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_mid_build_leaves_everything_consistent(project: GameProject) -> None:
    total = 40
    for i in range(total):
        project.sound(f"rain_{i:02d}", "heavy rain on a tin roof", f"seed = {i}\n", duration=8.0)
    proc = watch_process(project.root)
    wait_for_wavs(project.root / "audio", 3, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 130, err
    assert "interrupted" in err

    done = sorted((project.root / "audio").glob("*.wav"))
    assert 3 <= len(done) < total, "the build should have been stopped midway"
    assert not [p.name for p in project.root.rglob("*") if p.name.endswith(".tmp")]
    for wav in done:
        assert decode(wav.read_bytes()).frames == 8 * 48000  # whole files only
    lock = lock_mod.load(project.root / "sfx-pipeline.lock")  # parseable
    assert set(lock.assets) <= {f"audio/{w.name}" for w in done}

    status = project.run("status", "--json")
    counts = json.loads(status.out)["counts"]
    assert counts["error"] == 0 and counts["modified"] == 0 and counts["orphan"] == 0
    assert counts["fresh"] == len(done) and counts["stale"] == total - len(done)


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_while_idle_exits_130(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    proc = watch_process(project.root, "--poll", "0.1")
    wait_for_wavs(project.root / "audio", 1, proc)
    time.sleep(0.5)  # past the rescan, waiting for saves
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 130, err
    assert "watching sfx/ and sfx-pipeline.toml (polling every 0.1 s)" in err
    assert "generated  audio/door.wav" in out
