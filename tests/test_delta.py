"""One-shot commands after a few descriptors changed: only those are planned (cli/delta.py).

Each test changes descriptors of a built project, then runs every command the fast path
knows twice, on the same files and the same snapshot: once through the fast path, which
patches the snapshot's answer, and once through the full path, which plans the whole
project. The two must print the same, byte for byte but for the time taken.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from support.fastpath import TWO_SOUNDS, age, made_by, planned, replayed, state_behind_a_link, without_time
from support.project import CONFIG, GameProject, Run

COMMANDS = [("status",), ("status", "--json"), ("status", "--all"), ("build", "--dry-run"),
            ("build", "-n", "--json"), ("build",), ("build", "--json")]


@pytest.fixture
def built(project: GameProject) -> GameProject:
    return build_up(project)


def build_up(project: GameProject) -> GameProject:
    """Sounds in two folders and a list of sounds in one file, built, their files old."""
    project.sound("b_door", "wooden door creaking", "seed = 2\n")
    project.sound("d_rain", "heavy rain on a roof", "seed = 1\n")
    project.sound("f_wind", "wind howling", "seed = 5\n", folder="sfx/weather")
    project.write("sfx/m_ui.sfx.toml", TWO_SOUNDS)
    assert project.build()["counts"]["installed"] == 5
    for path in project.root.rglob("*"):
        if path.is_file():
            age(path)
    planned(project, "status")
    return project


def same_answers(project: GameProject) -> dict[tuple[str, ...], Run]:
    """Every command through the fast path, each from the project, its snapshot and its cache
    as they are now, held equal to the full path's answer, and a build's files to the files
    a whole build leaves; the fast path's answers."""
    saved = Saved(project)
    fast: dict[tuple[str, ...], tuple[Run | None, dict[str, bytes]]] = {}
    for args in COMMANDS:
        saved.restore()
        answer = replayed(project, *args)
        if answer is not None:
            assert made_by(project) == "delta", args
        fast[args] = answer, outputs(project)
    answered: dict[tuple[str, ...], Run] = {}
    for args in COMMANDS:
        answer, files = fast[args]
        saved.restore()
        full = planned(project, *args)
        if answer is None:  # only a build while something else is to build plans in full
            assert args[0] == "build" and "--dry-run" not in args and "-n" not in args, args
            assert outputs(project) != files, "the whole build installed what the fast path left to it"
            continue
        assert (answer.code, without_time(answer.out), answer.err) == \
               (full.code, without_time(full.out), full.err), args
        assert files == outputs(project), f"{args}: other files than a whole build leaves"
        answered[args] = answer
    return answered


class Saved:
    """The project, its state folder and the render cache as they are, to be put back before
    each run. A snapshot vouches for files by inode, so the project's own files are put back
    as the very files they were: kept by a hard link each while a build replaces them."""

    def __init__(self, project: GameProject) -> None:
        self.root = project.root
        self.keep = self.root.parent / "kept-files"
        shutil.rmtree(self.keep, ignore_errors=True)
        self.files: dict[Path, Path] = {}
        for i, path in enumerate(sorted(self.root.rglob("*"))):
            if path.is_file() and STATE not in path.relative_to(self.root).parts:
                os.link(path, self.keep / str(i) if self.keep.exists() else _made(self.keep) / str(i))
                self.files[path] = self.keep / str(i)
        self.copies = {place: self.root.parent / f"saved-{i}"  # outside the project
                       for i, place in enumerate((self.root / STATE, Path(os.environ["SFX_PIPELINE_CACHE"])))}
        for place, copy in self.copies.items():
            shutil.rmtree(copy, ignore_errors=True)
            if place.exists():
                shutil.copytree(place, copy)

    def restore(self) -> None:
        for path in self.root.rglob("*"):
            if path.is_file() and path not in self.files and STATE not in path.relative_to(self.root).parts:
                path.unlink()  # made by the last run
        for path, kept in self.files.items():
            os.unlink(path)
            os.link(kept, path)
        for place, copy in self.copies.items():
            shutil.rmtree(place, ignore_errors=True)
            if copy.exists():
                shutil.copytree(copy, place)


STATE = ".sfx-pipeline"


def _made(folder: Path) -> Path:
    folder.mkdir()
    return folder


def outputs(project: GameProject) -> dict[str, bytes]:
    """The lock and every WAV, by path."""
    found = {path.relative_to(project.root).as_posix(): path.read_bytes() for path in project.root.rglob("*.wav")}
    return {**found, "sfx-pipeline.lock": (project.root / "sfx-pipeline.lock").read_bytes()}


def remove(project: GameProject, relative: str) -> None:
    (project.root / relative).unlink()


CHANGES: dict[str, Callable[[GameProject], None]] = {
    "a seed edited": lambda p: p.sound("d_rain", "heavy rain on a roof", "seed = 9\n"),
    "a comment added": lambda p: p.sound("d_rain", "heavy rain on a roof", "seed = 1\n# louder later\n"),
    "a descriptor added between others": lambda p: p.sound("c_bell", "bell ringing", "seed = 6\n"),
    "a descriptor added in a folder": lambda p: p.sound("a_hail", "hail", "seed = 7\n", folder="sfx/weather"),
    "a descriptor removed": lambda p: remove(p, "sfx/b_door.sfx.toml"),
    "a descriptor renamed": lambda p: (remove(p, "sfx/d_rain.sfx.toml"),
                                       p.sound("z_rain", "heavy rain on a roof", "seed = 1\n")),
    "a sound of a list renamed": lambda p: p.write("sfx/m_ui.sfx.toml", TWO_SOUNDS.replace('"click"', '"clack"')),
    "two descriptors edited": lambda p: (p.sound("b_door", "wooden door slamming", "seed = 2\n"),
                                         p.sound("f_wind", "wind howling", "seed = 5\n", folder="sfx/weather",
                                                 duration=1.0)),
}


@pytest.mark.parametrize("change", CHANGES, ids=str)
def test_a_patched_answer_is_what_a_whole_plan_prints(built: GameProject, change: str) -> None:
    CHANGES[change](built)
    answers = same_answers(built)
    assert ("status",) in answers, "the fast path answered"


def test_an_edit_that_changes_no_key_leaves_a_build_with_nothing_to_do(built: GameProject) -> None:
    CHANGES["a comment added"](built)
    answers = same_answers(built)
    assert answers[("build",)].code == 0 and answers[("status",)].out == "5 fresh\n"


def test_a_build_after_an_edit_builds_that_descriptor_and_leaves_a_snapshot(built: GameProject) -> None:
    CHANGES["a seed edited"](built)
    run = replayed(built, "build")
    assert run is not None and run.code == 0 and "generated  audio/d_rain.wav" in run.out
    assert made_by(built) == "delta"
    assert replayed(built, "status") == planned(built, "status")
    assert built.run("status").out == "5 fresh\n"


def test_a_build_also_makes_what_the_snapshot_says_is_still_to_build(built: GameProject) -> None:
    (built.root / "audio" / "b_door.wav").unlink()  # stale, and the snapshot knows whose it is
    planned(built, "status")
    CHANGES["a seed edited"](built)
    assert replayed(built, "status") is not None  # (status patches)
    answers = same_answers(built)
    assert "audio/b_door.wav" in answers[("build",)].out and "audio/d_rain.wav" in answers[("build",)].out


def test_edit_then_status_then_build_builds_only_that(built: GameProject) -> None:
    """A status after an edit patches the snapshot; the build after it plans the edited
    descriptor again (the snapshot says the work is its), not the whole project."""
    CHANGES["a seed edited"](built)
    assert replayed(built, "status") is not None and made_by(built) == "delta"
    answers = same_answers(built)
    assert answers[("build",)].out.startswith("generated  audio/d_rain.wav")


def test_work_for_an_orphan_plans_in_full(built: GameProject) -> None:
    """An orphan whose file is gone: the build drops its entry, and no descriptor owns that."""
    remove(built, "sfx/b_door.sfx.toml")
    (built.root / "audio" / "b_door.wav").unlink()
    planned(built, "status")
    assert replayed(built, "build") is None
    assert built.build()["exit_code"] == 0 and "audio/b_door.wav" not in built.lock()["assets"]


def test_an_orphan_claimed_again_is_fresh_again(built: GameProject) -> None:
    door = (built.root / "sfx" / "b_door.sfx.toml").read_text()
    remove(built, "sfx/b_door.sfx.toml")
    planned(built, "status")
    assert "orphan    audio/b_door.wav" in built.run("status").out
    built.write("sfx/b_door.sfx.toml", door)
    answers = same_answers(built)
    assert answers[("status",)].out == "5 fresh\n"


def test_one_patch_after_another(built: GameProject) -> None:
    """Each patch starts from the snapshot the last one wrote; at the end, with nothing
    changed since, every command replays what the patches made, and it is what a whole
    plan prints."""
    for change in ("a seed edited", "a descriptor added between others", "a descriptor removed",
                   "a sound of a list renamed", "a comment added"):
        CHANGES[change](built)
        run = replayed(built, "status")
        assert run is not None and made_by(built) == "delta", change
    assert "orphan    audio/b_door.wav" in same_answers(built)[("status",)].out


@pytest.mark.parametrize("change", ["two sounds writing one file", "a broken descriptor"])
def test_what_ties_descriptors_together_plans_in_full(built: GameProject, change: str) -> None:
    if change == "two sounds writing one file":
        built.write("sfx/c_other.sfx.toml", '[[sound]]\nname = "d_rain"\nprompt = "drizzle"\n')
    else:
        built.write("sfx/c_broken.sfx.toml", "prompt = \n")
    assert replayed(built, "status") is None
    assert built.run("status").code == 1


def test_a_patch_leaves_the_memos_alone(built: GameProject) -> None:
    """The memos are keyed by stat: the next full plan reads the changed file again."""
    state = built.root / ".sfx-pipeline"
    memos = {name: (state / name).read_bytes() for name in ("descriptors.json", "keys.json", "digests.json")}
    CHANGES["a seed edited"](built)
    assert replayed(built, "status") is not None and made_by(built) == "delta"
    assert {name: (state / name).read_bytes() for name in memos} == memos
    assert "seed changed" in planned(built, "status").out


def test_a_lock_not_written_one_field_a_line_plans_in_full(built: GameProject) -> None:
    lock = built.root / "sfx-pipeline.lock"
    lock.write_text(json.dumps(json.loads(lock.read_text())))  # the same lock on one line
    age(lock)
    planned(built, "status")
    CHANGES["a seed edited"](built)
    assert replayed(built, "status") is None
    assert "seed changed" in built.run("status").out


def test_a_state_folder_replaced_by_a_link_is_never_written_through(built: GameProject, tmp_path: Path) -> None:
    elsewhere = state_behind_a_link(built, tmp_path / "elsewhere")
    before = {path.name: path.read_bytes() for path in elsewhere.iterdir() if path.is_file()}
    CHANGES["a seed edited"](built)
    assert replayed(built, "status") is None  # the full path says it cannot write the state folder
    assert {path.name: path.read_bytes() for path in elsewhere.iterdir() if path.is_file()} == before


def test_where_auto_falls_back_to_placeholders_a_patched_build_says_so_as_a_whole_one_does(
        project: GameProject) -> None:
    """No AudioGen weights here: `auto` makes placeholders, and the build's note says why."""
    project.write("sfx-pipeline.toml", CONFIG.replace('backend = "procedural"', 'backend = "auto"'))
    build_up(project)
    CHANGES["a seed edited"](project)
    answers = same_answers(project)
    assert "backend auto" in answers[("build",)].err + answers[("build",)].out


def test_a_lock_with_other_line_ends_is_read_by_a_patch_but_never_spliced(built: GameProject) -> None:
    """A checkout that turned the lock's line ends into CRLF (git's autocrlf on Windows): a
    patched status still finds its entries, but a build rewrites the whole lock in full."""
    lock = built.root / "sfx-pipeline.lock"
    lock.write_bytes(lock.read_bytes().replace(b"\n", b"\r\n"))
    age(lock)
    planned(built, "status")
    CHANGES["a seed edited"](built)
    fast = replayed(built, "status")
    assert fast is not None and made_by(built) == "delta"
    assert fast == planned(built, "status")
    assert replayed(built, "build") is None  # the lock is not laid out as this version writes it
    assert built.build()["counts"]["generated"] == 1
    assert b"\r\n" not in lock.read_bytes()
