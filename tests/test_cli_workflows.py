"""Workflows a new user runs, end to end, with the messages they read."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sfx_pipeline.cli import main
from support.project import GameProject


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_state_folder_is_never_staged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    game = tmp_path / "game"
    assert main(["init", "--engine", "godot", str(game)]) == 0
    assert main(["build", "-C", str(game), "-q", "--only", "sfx/ui/*"]) == 0
    assert (game / ".sfx-pipeline" / "build.lock").exists()  # written the moment the build began
    subprocess.run(["git", "init", "-q", str(game)], check=True)
    staged = subprocess.run(["git", "add", "-A", "--dry-run"], cwd=game, capture_output=True, text=True,
                            check=True).stdout
    assert "sfx-pipeline.lock" in staged and "sfx-pipeline.toml" in staged
    assert ".sfx-pipeline/" not in staged


def test_plurals(project: GameProject) -> None:
    project.sound("a", "coin")
    project.run("build")
    (project.root / "sfx/a.sfx.toml").unlink()
    project.write("sfx/b.sfx.toml", "prompt = \n")
    status = project.run("status")
    assert status.out.splitlines()[-1] == "1 orphan, 1 error"
    summary = project.run("build").out.splitlines()[-1]
    assert ", 1 orphan, 1 error in " in summary


def test_a_reserved_name_is_named_once(project: GameProject) -> None:
    project.write("sfx/ui.sfx.toml", '[[sound]]\nname = "CON"\nprompt = "x"\n[[sound]]\nname = "con.old"\nprompt = "y"\n')
    err = project.run("status").out
    assert "'CON' is a reserved device name on Windows" in err and "'CON' 'CON'" not in err
    assert "'con.old' starts with 'con', a reserved device name on Windows" in err


def test_build_and_status_agree_on_orphans(project: GameProject) -> None:
    project.sound("a", "coin")
    project.sound("b", "laser")
    assert project.run("build").code == 0
    (project.root / "sfx/b.sfx.toml").unlink()
    assert project.run("build").code == 2 == project.run("status").code  # the orphan stays: both say so
    assert project.run("build", "--prune").code == 0 == project.run("status").code


def test_accept_keeps_a_hand_edit_until_the_descriptor_changes(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    project.sound("rain", "rain")
    project.run("build")
    wav = project.wav("audio/door.wav")
    edited = wav.read_bytes()[:-100]  # a designer trimmed it
    wav.write_bytes(edited)
    assert project.run("status").code == 2
    assert "`sfx-pipeline accept door` keeps it" in project.run("build").out

    run = project.run("accept", "door")
    assert run.code == 0 and "accepted         audio/door.wav" in run.out
    assert project.lock()["assets"]["audio/door.wav"]["accepted"] is True
    assert "accepted" not in project.lock()["assets"]["audio/rain.wav"]  # only where true
    assert project.run("status").code == 0 and project.run("build").code == 0
    assert wav.read_bytes() == edited
    assert "already accepted" in project.run("accept", "door").out

    project.sound("door", "wooden door creaking", "seed = 42\n")  # the descriptor moves on
    status = project.run("status")
    assert status.code == 2 and "replaces a hand edit kept with `sfx-pipeline accept`" in status.out
    build = project.run("build")
    assert "the accepted edit is kept in .sfx-pipeline/replaced/audio/door.wav" in build.out
    assert (project.root / ".sfx-pipeline/replaced/audio/door.wav").read_bytes() == edited
    assert wav.read_bytes() != edited and "accepted" not in project.lock()["assets"]["audio/door.wav"]


def test_accept_is_all_or_nothing(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    project.sound("rain", "rain")
    project.run("build")
    wav = project.wav("audio/door.wav")
    wav.write_bytes(wav.read_bytes()[:-100])
    lock = (project.root / "sfx-pipeline.lock").read_bytes()
    run = project.run("accept", "door", "rain")
    assert run.code == 1 and "rain: audio/rain.wav is what its descriptor builds" in run.err
    run = project.run("accept", "door", "dor")
    assert run.code == 1 and "did you mean 'door'?" in run.err
    assert (project.root / "sfx-pipeline.lock").read_bytes() == lock


def test_doctor_checks_the_hub_instead_of_guessing(monkeypatch: pytest.MonkeyPatch) -> None:
    import http.server
    import socket
    import threading

    from sfx_pipeline import doctor

    facts = doctor.Facts("facebook/audiogen-medium", "auto")
    assert "offline (HF_HUB_OFFLINE is set), not checked" in doctor.check_hub(facts)[0].text
    monkeypatch.delenv("HF_HUB_OFFLINE")
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        [answer] = doctor.check_hub(facts)
        assert answer.level == doctor.OK and "answers" in answer.text
    finally:
        server.shutdown()
        server.server_close()
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed.getsockname()[1]}")
        [silent] = doctor.check_hub(facts)
    assert silent.level == doctor.WARN and "did not answer" in silent.text
    assert "huggingface-cli download facebook/audiogen-medium" in silent.fix


def test_init_unity_lays_out_what_the_editor_scripts_need(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    game = tmp_path / "game"
    assert main(["init", "--engine", "unity", str(game)]) == 0
    assert "wrote Assets/Audio/SFX/" in capsys.readouterr().err
    assert main(["hook", "install", "unity", "-C", str(game)]) == 0  # no build needed first
    assert (game / "Assets/Editor/SfxPipeline").is_dir()


@pytest.mark.parametrize("engine", ["godot", "unity", "generic"])
def test_the_template_is_taplo_clean_and_shows_loops_and_loudness(tmp_path: Path, engine: str) -> None:
    import sys

    import tomllib

    from sfx_pipeline.audio.wav import decode

    game = tmp_path / "game"
    assert main(["init", "-q", "--engine", engine, str(game)]) == 0
    config = tomllib.loads((game / "sfx-pipeline.toml").read_text(encoding="utf-8"))
    assert config["generator"]["decoder"] == "fast"  # every key spelled out, as the README promises
    taplo = shutil.which("taplo", path=str(Path(sys.executable).parent)) or shutil.which("taplo")
    if taplo:  # the formatter the editors that read our schema use
        check = subprocess.run([taplo, "fmt", "--check"], cwd=game, capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
    rain = tomllib.loads((game / "sfx/ambience/rain_on_roof.sfx.toml").read_text(encoding="utf-8"))
    assert rain["output"]["loop"] is True and rain["output"]["loudness"] == -20.0
    assert main(["build", "-q", "-C", str(game), "--only", "rain_on_roof"]) == 0
    wav = next(game.rglob("rain_on_roof.wav"))
    assert decode(wav.read_bytes()).loops  # the loop points are in the file


def test_every_problem_of_a_file_shows_at_once(project: GameProject) -> None:
    project.write("sfx/bad.sfx.toml", 'name = "CON"\nprompt = "x"\n[generation]\nbackend = "audiogne"\n'
                                      '[output]\npath = "../../etc/x.wav"\nloop = true\nfade_in = 0.3\n')
    project.sound("good", "coin")
    run = project.run("status")
    assert "sfx/bad.sfx.toml:4:1: generation.backend: 'audiogne' is not one of" in run.out
    assert "sfx/bad.sfx.toml:1:1: name: name 'CON' is a reserved device name on Windows" in run.out
    assert "sfx/bad.sfx.toml:6:1: output.path: must not contain '..'" in run.out
    assert "sfx/bad.sfx.toml:7:1: output.loop: a loop cannot have fades" in run.out
    assert run.out.splitlines()[-1] == "1 stale, 4 errors"
    assert project.run("build").code == 1 and project.wav("audio/good.wav").is_file()  # the valid one still builds
