"""Every command, run as a user would, with the messages a user reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sfx_pipeline.audio.wav import decode
from sfx_pipeline.cli import main
from support.project import GameProject


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("engine, import_dir, marker", [
    ("godot", "audio/sfx", "project.godot"),
    ("unity", "Assets/Audio/SFX", None),
    ("generic", "audio", None),
])
def test_init_lays_out_a_project_that_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             engine: str, import_dir: str, marker: str | None) -> None:
    game = tmp_path / "game"
    code, _, err = run_main(capsys, "init", "--engine", engine, str(game))
    assert code == 0 and "wrote sfx-pipeline.toml" in err
    config = (game / "sfx-pipeline.toml").read_text()
    assert f'engine = "{engine}"' in config and f'import_dir = "{import_dir}"' in config
    if marker:
        assert (game / marker).is_file()
    descriptors = list((game / "sfx").rglob("*.sfx.toml"))
    assert len(descriptors) >= 12
    code, out, _ = run_main(capsys, "build", "--project", str(game), "--json")
    doc = json.loads(out)
    assert code == 0 and doc["counts"]["failed"] == 0 and doc["counts"]["errors"] == 0
    assert doc["counts"]["installed"] >= 20  # variations and [[sound]] files expand
    wavs = list((game / import_dir).rglob("*.wav"))
    assert len(wavs) == doc["counts"]["installed"]
    assert all(decode(w.read_bytes()).rate == 48000 for w in wavs)


def test_init_detects_the_engine_and_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    game = tmp_path / "game"
    (game / "sfx" / "ui").mkdir(parents=True)
    (game / "project.godot").write_text("config_version=5\n")
    mine = game / "sfx" / "ui" / "ui_sounds.sfx.toml"
    mine.write_text('prompt = "mine"\n')
    assert run_main(capsys, "init", str(game))[0] == 0
    assert 'engine = "godot"' in (game / "sfx-pipeline.toml").read_text()
    assert mine.read_text() == 'prompt = "mine"\n'
    assert (game / "project.godot").read_text() == "config_version=5\n"
    code, _, err = run_main(capsys, "init", str(game))
    assert code == 1 and "already exists" in err


def test_commands_outside_a_project_say_how_to_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "status", "--project", str(tmp_path))
    assert code == 1
    assert "no sfx-pipeline.toml in" in err and "sfx-pipeline init" in err


def test_config_errors_name_the_key(project: GameProject) -> None:
    project.write("sfx-pipeline.toml", 'engine = "godto"\n[generator]\nbakend = "procedural"\n')
    run = project.run("build")
    assert run.code == 1
    assert "sfx-pipeline.toml:1:1: engine: 'godto' is not one of 'godot', 'unity', 'generic'" in run.err
    assert "did you mean 'godot'?" in run.err
    assert "sfx-pipeline.toml:3:1: generator.bakend: unknown key" in run.err and "did you mean 'backend'?" in run.err


def test_config_paths_must_stay_inside_the_project(project: GameProject) -> None:
    project.write("sfx-pipeline.toml", 'import_dir = "../elsewhere"\n')
    run = project.run("status")
    assert run.code == 1 and "import_dir: must not contain '..'" in run.err


def test_status_exit_codes(project: GameProject) -> None:
    assert project.run("status").code == 0  # nothing to do is fresh
    project.sound("a", "coin")
    assert project.run("status").code == 2
    project.run("build")
    assert project.run("status").code == 0
    project.write("sfx/b.sfx.toml", "prompt = \n")
    assert project.run("status").code == 1


def test_build_prints_one_line_per_asset_and_a_summary(project: GameProject) -> None:
    project.sound("a", "coin")
    project.sound("b", "laser")
    run = project.run("build")
    assert run.out.splitlines()[:2] == [
        "generated  audio/a.wav [placeholder]  (new asset)",
        "generated  audio/b.wav [placeholder]  (new asset)",
    ]
    assert "2 installed (2 generated, 0 from cache), 0 fresh in" in run.out
    assert "2 of them are procedural placeholders (2 in the project); a build where AudioGen loads replaces them" in run.out
    assert "placeholders" not in project.run("build").out  # nothing new: nothing to say
    (project.root / "sfx/b.sfx.toml").unlink()
    project.sound("c", "jump")
    run = project.run("build", "--prune")
    assert "1 installed (1 generated, 0 from cache), 1 fresh, 1 pruned in" in run.out
    assert "it is a procedural placeholder (2 in the project)" in run.out  # a and c: b is gone


def test_auto_backend_says_once_why_it_uses_placeholders(project: GameProject) -> None:
    project.write("sfx-pipeline.toml", 'import_dir = "audio"\n[generator]\nbackend = "auto"\n')
    project.sound("a", "coin")
    project.sound("b", "laser")
    assert "backend auto" not in project.run("status").err  # nothing is being made: nothing to say
    run = project.run("build")
    lines = [line for line in run.err.splitlines() if line.startswith("backend auto:")]
    assert len(lines) == 1 and "using procedural placeholders (audiogen: " in lines[0]
    assert "`sfx-pipeline doctor` says how to fix it" in lines[0] and "fix:" not in lines[0]
    assert "backend auto" not in project.run("build").err  # a no-op build makes no placeholders
    project.sound("c", "blip")
    verbose = project.run("build", "-v")
    assert "fix:" in verbose.err and "regenerate by themselves" in verbose.err  # -v: each reason with its fix


def test_import_manifest_writes_descriptors(project: GameProject) -> None:
    effects = [
        {"name": "sword_clash", "prompt": "metal swords clashing together", "duration": 2.0},
        {"name": "fire_crackle", "prompt": "campfire \"crackling\" and popping", "duration": 8},
        {"name": "***", "prompt": "x"},
        {"name": "no_prompt", "duration": 2},
        {"name": "long", "prompt": "x", "duration": 99, "volume": 3},
    ]
    manifest = project.write("sfx_manifest.json", json.dumps({"effects": effects}))
    run = project.run("import-manifest", str(manifest))
    assert run.code == 1
    assert "sfx_manifest.json: effects[2].name: '***' has no letter or digit to name a file with" in run.err
    assert "effects[3].prompt: is missing" in run.err
    assert "effects[4].duration: 99 is out of range" in run.err and "effects[4].volume: unknown key" in run.err
    assert "4 errors: nothing written" in run.err
    assert not (project.root / "sfx").exists()  # all or nothing
    manifest = project.write("sfx_manifest.json", json.dumps({"effects": effects[:2]}))
    run = project.run("import-manifest", str(manifest))
    assert run.code == 0 and "wrote sfx/sword_clash.sfx.toml" in run.err and "wrote sfx/fire_crackle.sfx.toml" in run.err
    assert "2 descriptors written, 0 kept" in run.err
    text = (project.root / "sfx/fire_crackle.sfx.toml").read_text()
    assert 'prompt = "campfire \\"crackling\\" and popping"' in text and "duration = 8" in text
    doc = json.loads(project.run("build", "--json").out)
    assert doc["counts"]["installed"] == 2 and doc["exit_code"] == 0
    # importing again keeps what exists
    assert "0 descriptors written, 2 kept" in project.run("import-manifest", str(manifest)).err


def test_import_manifest_makes_file_names_and_takes_every_descriptor_key(project: GameProject) -> None:
    manifest = project.write("m.json", json.dumps({"effects": [
        {"name": "Heavy Door Slam", "prompt": "a heavy door slams", "duration": 1.5, "variations": 2,
         "generation": {"temperature": 0.8}, "output": {"loudness": -18, "fade_out": 0.1}},
        {"name": "wind loop", "prompt": "wind", "output": {"loop": True, "loop_crossfade": 0.2}},
    ]}))
    run = project.run("import-manifest", str(manifest))
    assert run.code == 0, run.err
    assert "name 'Heavy Door Slam' is written as 'Heavy_Door_Slam'" in run.err
    text = (project.root / "sfx/Heavy_Door_Slam.sfx.toml").read_text()
    assert "variations = 2" in text and "[generation]\ntemperature = 0.8" in text and "loudness = -18" in text
    doc = project.build()
    assert sorted(a["output"] for a in doc["assets"]) == [
        "audio/Heavy_Door_Slam_01.wav", "audio/Heavy_Door_Slam_02.wav", "audio/wind_loop.wav"]


def test_import_manifest_checks_what_the_descriptor_validator_checks(project: GameProject) -> None:
    manifest = project.write("m.json", json.dumps({"effects": [
        {"name": "ok", "prompt": "fine"},
        {"name": "both", "prompt": "x", "output": {"loudness": -18, "peak_db": -1}},
    ]}))
    run = project.run("import-manifest", str(manifest))
    assert run.code == 1 and "m.json: sfx/both.sfx.toml: output" in run.err and "nothing written" in run.err
    assert not (project.root / "sfx/ok.sfx.toml").exists()


def test_import_manifest_rejects_the_wrong_shape(project: GameProject) -> None:
    manifest = project.write("m.json", "[1, 2]")
    run = project.run("import-manifest", str(manifest))
    assert run.code == 1 and 'expected {"effects": [...]}' in run.err


def test_cache_commands(project: GameProject, isolated_cache: Path) -> None:
    project.sound("a", "coin")
    project.sound("b", "laser")
    project.run("build")
    stats = project.run("cache", "stats")
    assert "generations: 2  renders: 2  blobs: 4" in stats.out
    blob = next((isolated_cache / "blobs").glob("*/*"))
    blob.write_bytes(b"rot")
    verify = project.run("cache", "verify")
    assert "removed corrupt blob" in verify.out and "removed dangling" in verify.out  # the blob and its entry
    assert "every entry is intact" in project.run("cache", "verify").out
    gc = project.run("cache", "gc", "--max-size", "0")
    assert gc.code == 0 and "removed 3 entries" in gc.out
    assert "generations: 0  renders: 0  blobs: 0" in project.run("cache", "stats").out
    bad = project.run("cache", "gc", "--max-size", "lots")
    assert bad.code == 1 and "write it like 500M or 2G" in bad.err


def test_json_errors_are_json(project: GameProject) -> None:
    project.write("sfx-pipeline.toml", "engine = 3\n")
    run = project.run("build", "--json")
    assert run.code == 1 and "engine: must be a string" in json.loads(run.out)["error"]


def test_the_console_script_runs(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "sfx_pipeline", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("sfx-pipeline ")
