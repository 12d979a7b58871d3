"""Broken input on real files: every case ends in a clear error naming the file (or a
self-healed memo), never a traceback or a hang, and valid descriptors beside it still build."""

from __future__ import annotations

import json
import os
import stat

import pytest

from sfx_pipeline.audio.wav import decode
from support.project import GameProject

fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


def good_and(project: GameProject) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")


def assert_door_built(project: GameProject) -> None:
    decode((project.root / "audio/door.wav").read_bytes())


def clean(run) -> None:
    assert "Traceback" not in run.err and "crashed" not in run.err, run.err


def assert_fails_alone(project: GameProject, *said: str) -> None:
    """A build reports the broken file (each of `said` in its output), exits 1 with no
    traceback, and the valid descriptor beside it still builds."""
    run = project.run("build")
    clean(run)
    assert run.code == 1 and all(text in run.out + run.err for text in said), run.out + run.err
    assert_door_built(project)


# 7. NaN and infinity -----------------------------------------------------------------------


@pytest.mark.parametrize("line", ["duration = nan", "duration = inf", "[generation]\ntemperature = nan",
                                  "[generation]\ntop_p = -nan", "[generation]\ncfg_coef = +inf",
                                  "[output]\nfade_out = nan", "[output]\nloudness = -inf"])
def test_nan_and_infinity_are_refused_with_file_line_and_column(project: GameProject, line: str) -> None:
    good_and(project)
    project.write("sfx/bad.sfx.toml", f'prompt = "x"\n{line}\n')
    run = project.run("build")
    clean(run)
    assert run.code == 1 and "must be a finite number" in run.out + run.err
    where = f"sfx/bad.sfx.toml:{line.count(chr(10)) + 2}:1"
    assert where in run.out + run.err
    assert_door_built(project)


def test_nan_in_the_config_defaults_names_the_config(project: GameProject) -> None:
    good_and(project)
    config = project.root / "sfx-pipeline.toml"
    config.write_text(config.read_text() + "\n[defaults]\nduration = nan\n")
    run = project.run("build")
    clean(run)
    assert run.code == 1 and "sfx-pipeline.toml:" in run.err and "finite" in run.err


# 8. deep nesting ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [400, 100_000])
@pytest.mark.parametrize("kind", ["array", "table"])
def test_deep_nesting_fails_that_file_alone(project: GameProject, depth: int, kind: str) -> None:
    good_and(project)
    deep = "[" * depth + "]" * depth if kind == "array" else "{a = " * depth + "1" + "}" * depth
    project.write("sfx/deep.sfx.toml", f'prompt = "x"\nx = {deep}\n')
    assert_fails_alone(project, "sfx/deep.sfx.toml")


# 9. errors cost linear time; only regular files are read -----------------------------------


def test_thousands_of_errors_in_one_file_are_all_reported(project: GameProject) -> None:
    # 9,000 tables with an unknown key took minutes when each error re-read the whole file
    # to find its line. The file is also over the cap on sounds per file, so its sounds are
    # not resolved one by one: its errors are every unknown key, each on its line, and the cap.
    tables = "".join(f'[[sound]]\nname="s{i}"\nx=1\n' for i in range(9_000))
    project.write("sfx/many.sfx.toml", tables)
    problems = error_problems(project)
    unknown = [p for p in problems if p["message"] == "unknown key"]
    assert len(unknown) == 9_000 and [p["line"] for p in unknown] == [3 * i + 3 for i in range(9_000)]
    assert [p["message"] for p in problems if p not in unknown] == [
        "describes 9000 sounds (variations included), over the 1000 one file may hold"]


def test_every_problem_of_every_sound_in_a_file_is_reported_at_once(project: GameProject) -> None:
    tables = "".join(f'[[sound]]\nname="s{i}"\nx=1\n' for i in range(1_000))  # at the cap: each sound resolved
    project.write("sfx/many.sfx.toml", tables)
    problems = error_problems(project)
    unknown = [p for p in problems if p["message"] == "unknown key"]
    no_prompt = [p for p in problems if p["message"] == "is missing" and p["key"].endswith(".prompt")]
    assert len(unknown) == len(no_prompt) == 1_000 and len(problems) == 2_000


def error_problems(project: GameProject) -> list[dict]:
    doc = json.loads(project.run("status", "--json").out)
    return [a["problem"] for a in doc["assets"] if a["status"] == "error"]


@fifo
def test_a_descriptor_that_is_a_fifo_is_reported_not_waited_on(project: GameProject) -> None:
    good_and(project)
    os.mkfifo(project.root / "sfx/pipe.sfx.toml")
    assert_fails_alone(project, "sfx/pipe.sfx.toml", "not a regular file")


@fifo
def test_an_output_that_is_a_fifo_is_never_read_or_replaced(project: GameProject) -> None:
    good_and(project)
    project.build()
    wav = project.root / "audio/door.wav"
    wav.unlink()
    os.mkfifo(wav)
    for flags in ([], ["--force"], ["--prune", "--force"]):
        run = project.run("build", *flags)
        clean(run)
    assert stat.S_ISFIFO(os.lstat(wav).st_mode)


def test_a_utf8_byte_order_mark_is_accepted(project: GameProject) -> None:
    (project.root / "sfx").mkdir()
    (project.root / "sfx/door.sfx.toml").write_bytes(b'\xef\xbb\xbfprompt = "wooden door"\nduration = 0.5\n')
    assert project.build()["counts"]["generated"] == 1


# 10. a broken lock or state folder ---------------------------------------------------------


@pytest.mark.parametrize("value", [[], None, "x", 3])
def test_lock_entries_of_the_wrong_type_are_a_clean_error(project: GameProject, value: object) -> None:
    good_and(project)
    project.build()
    doc = project.lock()
    doc["assets"]["audio/door.wav"]["generation"] = value
    (project.root / "sfx-pipeline.lock").write_text(json.dumps(doc))
    run = project.run("build")
    clean(run)
    assert run.code == 1 and "sfx-pipeline.lock" in run.err and "generation" in run.err


@pytest.mark.parametrize("damage", ["deep", "directory", "fifo"])
def test_a_lock_that_cannot_be_read_is_a_clean_error(project: GameProject, damage: str) -> None:
    good_and(project)
    lock = project.root / "sfx-pipeline.lock"
    if damage == "deep":
        lock.write_text('{"format": 1, "assets": ' + "[" * 100_000 + "]" * 100_000 + "}")
    elif damage == "directory":
        lock.mkdir()
    else:
        if not hasattr(os, "mkfifo"):
            pytest.skip("FIFOs are POSIX")
        os.mkfifo(lock)
    run = project.run("build")
    clean(run)
    assert run.code == 1 and "sfx-pipeline.lock" in run.err


@pytest.mark.parametrize("damage", ["int", "deep", "directory", "junk entries", "state is a file"])
def test_a_damaged_state_folder_heals_itself(project: GameProject, damage: str) -> None:
    good_and(project)
    project.build()
    state = project.root / ".sfx-pipeline"
    for memo in ("digests.json", "descriptors.json", "keys.json"):
        path = state / memo
        if damage == "int":
            path.write_text("3")
        elif damage == "deep":
            path.write_text("[" * 100_000 + "]" * 100_000)
        elif damage == "directory":
            path.unlink(missing_ok=True)
            (path / "inner").mkdir(parents=True)
        elif damage == "junk entries":
            path.write_text(json.dumps({"context": "", "files": {"sfx/door.sfx.toml": 3, "x": [1, 2, 3, {"a": 1}]}}))
    if damage == "state is a file":
        import shutil
        shutil.rmtree(state)
        state.write_text("not a folder")
    past = os.stat(project.root).st_mtime - 3600  # old enough for the memos to trust them
    for path in [*(project.root / "audio").rglob("*"), *(project.root / "sfx").rglob("*")]:
        os.utime(path, (past, past))
    for _ in range(2):
        run = project.run("build")
        clean(run)
        assert run.code == 0
    assert project.run("status").code == 0
    assert (state / "digests.json").is_file()


# 12. file system limits ----------------------------------------------------------------------


def test_an_output_path_too_long_for_any_os_is_refused_up_front(project: GameProject) -> None:
    good_and(project)
    deep = "/".join(["d" * 100] * 50) + "/x.wav"
    project.write("sfx/long.sfx.toml", f'prompt = "x"\nduration = 0.5\n[output]\npath = "{deep}"\n')
    assert_fails_alone(project, "sfx/long.sfx.toml", "characters")


@pytest.mark.skipif(os.name == "nt" or not hasattr(os, "fsencode"), reason="POSIX file names are bytes")
def test_a_file_name_that_is_not_utf8_is_reported(project: GameProject) -> None:
    good_and(project)
    name = os.fsencode(project.root / "sfx") + b"/caf\xe9.sfx.toml"
    try:
        with open(name, "wb") as f:
            f.write(b'prompt = "x"\n')
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    assert_fails_alone(project, "not valid UTF-8")


def test_a_loop_of_links_in_the_descriptor_folder_is_reported(project: GameProject) -> None:
    good_and(project)
    try:
        (project.root / "sfx/loop").symlink_to(project.root / "sfx", target_is_directory=True)
        (project.root / "sfx/a.sfx.toml").symlink_to(project.root / "sfx/b.sfx.toml")
        (project.root / "sfx/b.sfx.toml").symlink_to(project.root / "sfx/a.sfx.toml")
    except OSError:
        pytest.skip("this OS does not let us create symlinks")
    assert_fails_alone(project, "sfx/loop", "sfx/a.sfx.toml")


@pytest.mark.skipif(not hasattr(__import__("resource"), "RLIMIT_FSIZE") if os.name != "nt" else True,
                    reason="POSIX file size limits")
def test_a_file_size_limit_is_reported_per_file_and_the_next_build_converges(project: GameProject) -> None:
    import subprocess
    import sys
    project.sound("door", "wooden door creaking", "seed = 3\n", duration=0.5)
    project.sound("rain", "heavy rain", "seed = 4\n", duration=4.0)
    # 64 KiB: a 0.5 s WAV fits and a 4 s one does not (like `ulimit -f 128`)
    limit = "import resource; resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536)); "
    proc = subprocess.run([sys.executable, "-c", limit + "from sfx_pipeline.cli import main; raise SystemExit(main())",
                           "build", "--project", str(project.root)], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr and proc.returncode == 1, proc.stderr
    assert "audio/rain.wav" in proc.stdout + proc.stderr
    assert project.run("build").code == 0 and project.run("status").code == 0


# 14. config mistakes -------------------------------------------------------------------------


@pytest.mark.parametrize("cache_dir", ["/dev/null", "project.godot"])
def test_a_cache_dir_that_is_not_a_folder_names_the_config(project: GameProject, cache_dir: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SFX_PIPELINE_CACHE")
    project.write("project.godot", "[application]\n")
    config = project.root / "sfx-pipeline.toml"
    config.write_text(f'cache_dir = "{cache_dir}"\n' + config.read_text())
    good_and(project)
    run = project.run("build")
    clean(run)
    assert run.code == 1 and "sfx-pipeline.toml:1:1: cache_dir" in run.err


def test_fades_from_the_config_defaults_name_the_config(project: GameProject) -> None:
    config = project.root / "sfx-pipeline.toml"
    config.write_text(config.read_text() + "\n[defaults.output]\nloop = true\nfade_out = 0.2\n")
    good_and(project)
    run = project.run("status")
    assert run.code == 1 and "[defaults.output] of sfx-pipeline.toml" in run.out + run.err


# 16. what one file may expand to ---------------------------------------------------------------


def test_one_file_may_not_expand_to_more_than_a_thousand_sounds(project: GameProject) -> None:
    good_and(project)
    sounds = "".join(f'[[sound]]\nname = "s{i}"\nprompt = "x"\n' for i in range(101))
    project.write("sfx/huge.sfx.toml", "variations = 10\n" + sounds)
    assert_fails_alone(project, "describes 1010 sounds")


# 18. leftovers and names -----------------------------------------------------------------------


def test_temp_files_a_killed_build_left_are_removed_by_the_next(project: GameProject) -> None:
    good_and(project)
    project.build()
    left = [project.root / "audio/.door.wav.k2j4_9xq.tmp", project.root / ".sfx-pipeline.lock.abcd1234.tmp"]
    mine = project.root / "audio/.notes.txt.abcd1234.tmp"  # not a name a build writes: not ours
    for path in [*left, mine]:
        path.write_bytes(b"half")
    project.sound("coin", "arcade coin", "seed = 4\n")  # the killed build had work left: so has this one
    project.build()
    assert not any(p.exists() for p in left) and mine.exists()


@pytest.mark.parametrize("name", ["CONIN$", "conout$", "COM¹", "LPT²", "con .x", "com0", "LPT3.wav"])
def test_windows_device_names_are_refused(project: GameProject, name: str) -> None:
    project.write("sfx/x.sfx.toml", f'name = "{name}"\nprompt = "x"\n')
    run = project.run("status")
    assert run.code == 1 and "reserved device name on Windows" in run.out + run.err


def test_names_that_differ_only_in_unicode_normal_form_collide(project: GameProject) -> None:
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    project.write("sfx/a.sfx.toml", f'name = "{nfc}"\nprompt = "x"\n')
    project.write("sfx/b.sfx.toml", f'name = "{nfd}"\nprompt = "y"\n')
    run = project.run("status")
    assert run.code == 1 and "would all write" in run.out + run.err
