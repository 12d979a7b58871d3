"""One-shot commands after a few descriptors changed: only those are planned (cli/delta.py).

Each test changes descriptors of a built project, then runs every command the fast path
knows twice, on the same files and the same snapshot: once through the fast path, which
patches the snapshot's answer, and once through the full path, which plans the whole
project. The two must print the same, byte for byte but for the time taken.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import pytest

from support.fastpath import age, made_by, planned, replayed, without_time
from support.project import GameProject, Run

COMMANDS = [("status",), ("status", "--json"), ("status", "--all"), ("build", "--dry-run"),
            ("build", "-n", "--json"), ("build",), ("build", "--json")]


@pytest.fixture
def built(project: GameProject) -> GameProject:
    """Sounds in two folders and a list of sounds in one file, built, their files old."""
    project.sound("b_door", "wooden door creaking", "seed = 2\n")
    project.sound("d_rain", "heavy rain on a roof", "seed = 1\n")
    project.sound("f_wind", "wind howling", "seed = 5\n", folder="sfx/weather")
    project.write("sfx/m_ui.sfx.toml", """
        [[sound]]
        name = "blip"
        prompt = "coin pickup"
        seed = 3
        [[sound]]
        name = "click"
        prompt = "laser shot"
        seed = 4
    """)
    assert project.build()["counts"]["installed"] == 5
    for path in project.root.rglob("*"):
        if path.is_file():
            age(path)
    planned(project, "status")
    return project


def same_answers(project: GameProject) -> dict[tuple[str, ...], Run]:
    """Every command through the fast path, each from the snapshot as it is now, held equal
    to the full path's answer; the fast path's answers."""
    state = project.root / ".sfx-pipeline"
    saved = project.root.parent / "saved-state"
    shutil.rmtree(saved, ignore_errors=True)
    shutil.copytree(state, saved)
    fast: dict[tuple[str, ...], Run | None] = {}
    for args in COMMANDS:
        _restore(saved, state)
        fast[args] = replayed(project, *args)
        if fast[args] is not None:
            assert made_by(project) == "delta", args
    answered: dict[tuple[str, ...], Run] = {}
    for args in COMMANDS:
        answer = fast[args]
        _restore(saved, state)
        full = planned(project, *args)
        if answer is None:  # only a build with work to do plans in full
            assert args[0] == "build" and "--dry-run" not in args and "-n" not in args, args
            assert full.code in (0, 2) and " generated" in full.out  # (2: an orphan is left)
            return answered
        assert (answer.code, without_time(answer.out), answer.err) == \
               (full.code, without_time(full.out), full.err), args
        answered[args] = answer
    return answered


def _restore(saved: Path, state: Path) -> None:
    shutil.rmtree(state)
    shutil.copytree(saved, state)


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
    "a sound of a list renamed": lambda p: p.write("sfx/m_ui.sfx.toml", """
        [[sound]]
        name = "blip"
        prompt = "coin pickup"
        seed = 3
        [[sound]]
        name = "clack"
        prompt = "laser shot"
        seed = 4
    """),
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


def test_a_build_with_work_to_do_after_an_edit_plans_in_full(built: GameProject) -> None:
    CHANGES["a seed edited"](built)
    assert replayed(built, "build") is None
    assert built.build()["counts"]["generated"] == 1
    assert replayed(built, "status") is not None and made_by(built) == "plan"


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
    state = built.root / ".sfx-pipeline"
    elsewhere = tmp_path / "elsewhere"
    state.rename(elsewhere)
    try:
        state.symlink_to(elsewhere, target_is_directory=True)
    except OSError:
        pytest.skip("this OS does not let us create symlinks")
    before = {path.name: path.read_bytes() for path in elsewhere.iterdir() if path.is_file()}
    CHANGES["a seed edited"](built)
    assert replayed(built, "status") is None  # the full path says it cannot write the state folder
    assert {path.name: path.read_bytes() for path in elsewhere.iterdir() if path.is_file()} == before
