"""The no-op fast path: `status` and `build` answered from the last plan's snapshot.

Every test drives the real CLI on a real project. A replayed run must print exactly what the
full path prints, and any change a plan would see must send the command down the full path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sfx_pipeline.cli import main, noop
from sfx_pipeline.project import Project
from sfx_pipeline.report import QuietReporter
from support.fastpath import SNAPSHOT, TWO_SOUNDS, age, planned, replayed, state_behind_a_link, without_time
from support.project import CONFIG, GameProject


def edit_in_place(path: Path, text: str) -> None:
    """New bytes of the same length in the same inode, with the mtime put back: the stat is unchanged."""
    before = path.stat()
    data = text.encode("utf-8")
    assert len(data) == before.st_size
    with open(path, "r+b") as stream:
        stream.write(data)
    os.utime(path, ns=(before.st_mtime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)


@pytest.fixture
def built(project: GameProject) -> GameProject:
    project.sound("rain", "heavy rain on a roof", "seed = 1\n")
    project.sound("door", "wooden door creaking", "seed = 2\n")
    project.write("sfx/ui.sfx.toml", TWO_SOUNDS)
    assert project.build()["counts"]["installed"] == 4
    return project


COMMANDS = [("status",), ("status", "--json"), ("status", "--all"), ("build",), ("build", "--json"),
            ("build", "--dry-run"), ("build", "-n", "--json")]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_replay_prints_what_planning_prints(built: GameProject, args: tuple[str, ...]) -> None:
    full = planned(built, *args)
    for _ in range(2):  # the second time, --json documents come from the text the first one kept
        fast = replayed(built, *args)
        assert fast is not None, "right after a plan, nothing changed: the snapshot answers"
        assert (fast.code, without_time(fast.out), fast.err) == (full.code, without_time(full.out), full.err)
        if "--json" in args:
            assert json.loads(fast.out).keys() == json.loads(full.out).keys()


def test_a_no_op_right_after_a_build_is_replayed(built: GameProject) -> None:
    """No waiting for timestamps to age: what the build just wrote is checked by content."""
    run = replayed(built, "status")
    assert run is not None and run.code == 0 and run.out.strip() == "4 fresh"
    snap = json.loads((built.root / SNAPSHOT).read_text())
    assert "sfx-pipeline.lock" in snap["racy"] and "audio/rain.wav" in snap["racy"]


@pytest.mark.parametrize("args", [("status",), ("status", "--json"), ("build", "-n")], ids=" ".join)
def test_stale_and_broken_projects_are_replayed_too(built: GameProject, args: tuple[str, ...]) -> None:
    built.sound("rain", "heavy rain on a tin roof", "seed = 1\n")
    built.write("sfx/broken.sfx.toml", "prompt = \n")
    full = planned(built, *args)
    assert (built.root / SNAPSHOT).exists() is False, "a racy broken descriptor has no digest: nothing recorded"
    age(built.root / "sfx" / "broken.sfx.toml")
    full = planned(built, *args)
    fast = replayed(built, *args)
    assert fast is not None and full.code in (1, 0)
    assert (fast.code, fast.out, fast.err) == (full.code, full.out, full.err)


def test_a_build_with_work_to_do_is_built_never_replayed(built: GameProject) -> None:
    """The snapshot knows the work is the new descriptor's: the fast path builds just that
    (delta_build.py), and only then replays the next build."""
    built.sound("wind", "wind howling", "seed = 5\n")
    planned(built, "status")
    assert replayed(built, "status") is not None
    run = replayed(built, "build")
    assert run is not None and run.out.startswith("generated  audio/wind.wav")
    assert (built.root / "audio" / "wind.wav").is_file() and "audio/wind.wav" in built.lock()["assets"]
    again = replayed(built, "build")
    assert again is not None and again.code == 0 and "0 installed" in again.out and "5 fresh" in again.out


def test_an_edit_that_keeps_the_stat_is_seen_while_it_is_racy(built: GameProject) -> None:
    """git's racy-clean case: same size, same mtime, same inode, other bytes."""
    descriptor = built.root / "sfx" / "door.sfx.toml"
    text = descriptor.read_text()
    planned(built, "status")
    edit_in_place(descriptor, text.replace("wooden door", "wooden bell"))
    fast = replayed(built, "status")  # only that descriptor is planned again (delta.py)
    assert fast is not None and fast.code == 2 and "prompt changed" in fast.out
    assert fast == planned(built, "status")


def test_a_lock_edited_with_the_same_stat_is_seen_while_racy(built: GameProject) -> None:
    lock = built.root / "sfx-pipeline.lock"
    planned(built, "status")
    assert "sfx-pipeline.lock" in json.loads((built.root / SNAPSHOT).read_text())["racy"]  # the build just wrote it
    text = lock.read_text()
    assert replayed(built, "status") is not None  # the bytes on disk are the bytes recorded
    assert '"name": "door",' in text
    edit_in_place(lock, text.replace('"name": "door",', '"name": "dorr",'))
    assert replayed(built, "status") is None


def test_a_hand_edited_output_with_the_same_stat_is_seen_while_racy(built: GameProject) -> None:
    wav = built.root / "audio" / "door.wav"
    before = wav.stat()
    last = wav.read_bytes()[-1]
    with open(wav, "r+b") as stream:  # one sample's last byte flipped, the stat put back
        stream.seek(before.st_size - 1)
        stream.write(bytes([last ^ 0xFF]))
    os.utime(wav, ns=(before.st_mtime_ns, before.st_mtime_ns))
    assert (wav.stat().st_size, wav.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert replayed(built, "status") is None
    assert "modified" in built.run("status").out


@pytest.mark.parametrize("change", ["new descriptor", "deleted descriptor", "deleted output", "config", "lock",
                                    "engine marker", "journal of a killed build"])
def test_every_input_of_the_plan_is_watched(built: GameProject, change: str) -> None:
    root = built.root
    for path in [*root.rglob("*.sfx.toml"), *root.rglob("*.wav"), root / "sfx-pipeline.toml",
                 root / "sfx-pipeline.lock"]:
        age(path)  # old files: only their stat is compared
    planned(built, "status")
    assert json.loads((root / SNAPSHOT).read_text())["racy"] == {}
    if change == "new descriptor":
        built.sound("wind", "wind howling")
    elif change == "deleted descriptor":
        (root / "sfx" / "door.sfx.toml").unlink()
    elif change == "deleted output":
        (root / "audio" / "door.wav").unlink()
    elif change == "config":
        built.write("sfx-pipeline.toml", (root / "sfx-pipeline.toml").read_text() + "\n[defaults]\nduration = 1.0\n")
    elif change == "lock":
        (root / "sfx-pipeline.lock").write_text((root / "sfx-pipeline.lock").read_text() + "\n")
    elif change == "journal of a killed build":  # folded into the lock the next plan uses
        (root / ".sfx-pipeline" / "journal.jsonl").write_text("{}\n")
    else:
        (root / "project.godot").write_text("")
    fast = replayed(built, "status")
    if change.endswith("descriptor"):  # planned alone, the rest of the plan patched (delta.py)
        assert fast is not None and json.loads((root / SNAPSHOT).read_text())["made"] == "delta"
        assert fast == planned(built, "status")
    else:
        assert fast is None


def test_another_environment_plans_again(built: GameProject, monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    assert replayed(built, "status") is not None
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(tmp_path / "another-cache"))
    assert replayed(built, "status") is None


@pytest.mark.parametrize("args", [("status", "--bogus"), ("build", "--force"), ("build", "--prune"),
                                  ("build", "--only", "rain"), ("status", "-h"), ("--version",), ()], ids=repr)
def test_options_the_fast_path_does_not_know_go_to_the_full_path(built: GameProject, args: tuple[str, ...]) -> None:
    assert noop.try_main([*args[:1], "--project", str(built.root), *args[1:]] if args else []) is None


@pytest.mark.parametrize("damage", [b"", b"{ not json", b"[]", b'{"format": 1}', None])
def test_a_damaged_snapshot_is_no_snapshot(built: GameProject, damage: bytes | None) -> None:
    snapshot = built.root / SNAPSHOT
    if damage is None:  # well-formed, but its details belong to another snapshot
        (built.root / ".sfx-pipeline" / noop.DETAILS).write_text('{"id": "another"}')
        assert replayed(built, "status", "--json") is None
        assert replayed(built, "status") is not None
        return
    good = json.loads(snapshot.read_text())
    snapshot.write_bytes(damage)
    assert replayed(built, "status") is None
    run = built.run("status")
    assert run.code == 0 and run.out.strip() == "4 fresh"
    assert json.loads(snapshot.read_text())["descriptors"] == good["descriptors"]  # recorded again


def test_racy_files_are_trusted_by_stat_once_they_are_old(built: GameProject, monkeypatch: pytest.MonkeyPatch) -> None:
    """After one content check made long enough after the writes, the snapshot drops its racy
    list (as git refreshes its index). The clock is not waited on: the window is narrowed."""
    assert json.loads((built.root / SNAPSHOT).read_text())["racy"]
    monkeypatch.setattr(noop, "RACY_NS", 0)
    time.sleep(0.01)  # some nanoseconds must pass for a zero-width window
    assert replayed(built, "status") is not None
    assert json.loads((built.root / SNAPSHOT).read_text())["racy"] == {}
    assert replayed(built, "status").out.strip() == "4 fresh"


def test_what_auto_looked_at_is_part_of_the_snapshot(project: GameProject) -> None:
    project.write("sfx-pipeline.toml", 'import_dir = "audio"\n[generator]\nbackend = "auto"\n')
    project.sound("rain", "heavy rain", "seed = 1\n")
    project.run("build")
    full = planned(project, "status")
    fast = replayed(project, "status")
    assert fast is not None and (fast.code, fast.out, fast.err) == (full.code, full.out, full.err)
    snap = json.loads((project.root / SNAPSHOT).read_text())
    assert snap["packages"], "whether AudioGen's packages are installed is part of the snapshot"
    assert any("models--facebook--audiogen-medium" in path for path in snap["elsewhere"])


def test_a_replay_imports_neither_toml_nor_numpy(built: GameProject) -> None:
    code = ("import sys; from sfx_pipeline.cli.noop import try_main; "
            f"assert try_main(['status', '--project', {str(built.root)!r}]) == 0; "
            "print(sorted(m for m in ('tomllib', 'numpy', 'sfx_pipeline.plan', 'argparse') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_console_entry_replays_too(built: GameProject) -> None:
    planned(built, "status")
    code = main(["status", "--project", str(built.root)])
    assert code == 0 and built.capsys.readouterr().out.strip() == "4 fresh"


def test_the_snapshot_is_never_committed(built: GameProject) -> None:
    assert (built.root / ".sfx-pipeline" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_weights_arriving_for_auto_are_seen(project: GameProject, tmp_path: Path) -> None:
    """`auto` fell back to placeholders because a local model folder was empty: files
    outside the project that the choice looked at are watched too."""
    model = tmp_path / "model"
    project.write("sfx-pipeline.toml", f'import_dir = "audio"\n[generator]\nbackend = "auto"\n'
                                       f'model = "{model.as_posix()}"\ndevice = "cpu"\n')
    project.sound("rain", "heavy rain", "seed = 1\n")
    project.run("build")
    assert replayed(project, "status") is not None
    model.mkdir()
    assert replayed(project, "status") is None


def test_the_planner_imports_nothing_of_the_cli() -> None:
    """The CLI tells the project how to record a plan; the project does not reach back into it."""
    code = ("import sys, sfx_pipeline.project, sfx_pipeline.build; "
            "print(sorted(m for m in sys.modules if m.startswith('sfx_pipeline.cli')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_only_the_cli_records_plans(project: GameProject) -> None:
    """A project opened as a library (a server, a script) plans without leaving a snapshot."""
    project.sound("rain", "heavy rain", "seed = 1\n")
    Project(project.root, QuietReporter()).survey()
    assert not (project.root / SNAPSHOT).exists()
    assert project.run("status").code == 2
    assert replayed(project, "status") is not None


@pytest.fixture
def mixed(built: GameProject) -> GameProject:
    """Fresh sounds between ones a build leaves alone and reports: a WAV edited by hand, an
    orphan, a broken descriptor (its sounds kept, its problem reported). A build changes
    nothing here, so every command is replayed."""
    for name in ("alarm", "engine", "zipper"):
        built.sound(name, f"{name} sound", "seed = 7\n")
    built.build()
    (built.root / "sfx" / "rain.sfx.toml").unlink()
    built.write("sfx/ui.sfx.toml", "prompt = \n")
    age(built.root / "sfx" / "ui.sfx.toml")  # a racy broken descriptor has no digest: nothing would be recorded
    wav = built.root / "audio" / "door.wav"
    wav.write_bytes(wav.read_bytes()[:-2] + b"\x01\x02")
    # Which render the edited WAV holds is asked of the render cache, whose entries a stat
    # vouches for only once they are old (nothing hashes them)
    for entry in Path(os.environ["SFX_PIPELINE_CACHE"]).rglob("*"):
        age(entry)
    return built


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_replay_between_fresh_and_reported_sounds_prints_what_planning_prints(mixed: GameProject,
                                                                                args: tuple[str, ...]) -> None:
    full = planned(mixed, *args)
    assert full.code == 1 and "modified" in planned(mixed, "status").out
    full = planned(mixed, *args)
    fast = replayed(mixed, *args)
    assert fast is not None
    assert (fast.code, without_time(fast.out), fast.err) == (full.code, without_time(full.out), full.err)


def test_a_fresh_sound_is_kept_once_in_the_snapshot(mixed: GameProject) -> None:
    planned(mixed, "status")
    details = json.loads((mixed.root / ".sfx-pipeline" / noop.DETAILS).read_text())
    fresh = [row[0] for row in details["fresh"]]
    assert fresh == ["audio/alarm.wav", "audio/engine.wav", "audio/zipper.wav"]
    for key in ("status", "status_lines", "dry_run", "build"):
        assert [item for item in details[key] if isinstance(item, int)] == [0, 1, 2], key
        assert any(not isinstance(item, int) for item in details[key]), key  # the others are kept whole


def test_a_snapshot_of_the_earlier_layout_is_no_snapshot(built: GameProject) -> None:
    """Format 2 kept every document whole; its details read as this format's would be wrong."""
    state = built.root / ".sfx-pipeline"
    planned(built, "status")
    snap = json.loads((state / noop.SNAPSHOT).read_text())
    details = json.loads((state / noop.DETAILS).read_text())
    snap["format"] = 2
    (state / noop.SNAPSHOT).write_text(json.dumps(snap))
    details.pop("fresh")
    (state / noop.DETAILS).write_text(json.dumps(details))
    assert replayed(built, "status") is None and replayed(built, "status", "--json") is None
    assert built.run("status", "--json").code == 0
    assert json.loads((state / noop.SNAPSHOT).read_text())["format"] == noop.FORMAT


def test_a_status_leaves_the_temp_files_of_a_build_alone(built: GameProject) -> None:
    """Recording what a no-op build would print must not run one: a build sweeps leftover temp
    files beside the outputs (and drops its journal) holding the build lock, which a status
    does not hold while another build may be writing them."""
    temp = built.root / "audio" / ".door.wav.k3j9x0a2.tmp"
    temp.write_bytes(b"a build in another process is writing this")
    run = planned(built, "status")
    assert run.code == 0 and json.loads((built.root / SNAPSHOT).read_text())["build"] is not None
    assert temp.exists()


def test_a_state_folder_replaced_by_a_link_is_never_written_through(built: GameProject, tmp_path: Path) -> None:
    # The snapshot still answers through the link (its stats hold), but the --json text it
    # keeps on a first replay is not written into the folder the link points at.
    planned(built, "status", "--json")
    for kept in (built.root / ".sfx-pipeline").glob("noop-*.txt"):
        kept.unlink()
    elsewhere = state_behind_a_link(built, tmp_path / "elsewhere")
    fast = replayed(built, "status", "--json")
    assert fast is not None and json.loads(fast.out)["counts"]["fresh"] == 4
    assert sorted(p.name for p in elsewhere.glob("noop-*.txt")) == []


@pytest.mark.parametrize("args", [("build", "--dry-run"), ("build", "-n", "--json")], ids=" ".join)
def test_a_replayed_dry_run_says_what_auto_chose_as_planning_does(project: GameProject, args: tuple[str, ...]) -> None:
    """No AudioGen weights here: a dry run with a sound to build names the placeholders `auto`
    falls back to (on stderr, or among the --json messages); a replay must say it too."""
    project.write("sfx-pipeline.toml", CONFIG.replace('backend = "procedural"', 'backend = "auto"'))
    project.sound("rain", "heavy rain on a roof", "seed = 1\n")
    full = planned(project, *args)
    assert "backend auto: using procedural placeholders" in full.err + full.out
    fast = replayed(project, *args)
    assert fast is not None
    assert (fast.code, without_time(fast.out), fast.err) == (full.code, without_time(full.out), full.err)
