"""audition renders takes with other seeds; pick writes the chosen seed into the descriptor."""

from __future__ import annotations

import json

import pytest

from sfx_pipeline.audio import provenance
from sfx_pipeline.audio.wav import decode
from support.project import GameProject


def test_audition_renders_distinct_takes_where_the_engine_cannot_see_them(project: GameProject) -> None:
    project.write("sfx-pipeline.toml", 'engine = "godot"\nimport_dir = "audio"\n[generator]\nbackend = "procedural"\n')
    project.sound("door", "wooden door creaking", "seed = 5\n[output]\nfade_out = 0.1\n")
    run = project.run("audition", "door", "--takes", "3")
    assert run.code == 0
    folder = project.root / "sfx-audition" / "door"
    takes = sorted(folder.glob("take_*.wav"))
    assert [p.name for p in takes] == ["take_00.wav", "take_01.wav", "take_02.wav", "take_03.wav"]
    assert len({p.read_bytes() for p in takes}) == 4  # four different sounds
    assert provenance.read(takes[0])["seed"] == "5"  # take 0: the sound as it is, to compare against
    assert "take  0  seed 5 " in run.out and "(the current seed, to compare)" in run.out
    seeds = {provenance.read(p)["seed"] for p in takes[1:]}
    assert len(seeds) == 3 and "5" not in seeds
    assert abs(decode(takes[0].read_bytes()).samples()[-1]) < 1e-3  # the asset's own finishing (its fade)
    assert (project.root / "sfx-audition" / ".gdignore").exists()  # Godot skips the folder
    assert "sfx-audition/door/take_02.wav" in run.out and "sfx-pipeline pick door <take>" in run.out
    assert not (project.root / "audio").exists()  # nothing installed, the lock untouched
    assert not (project.root / "sfx-pipeline.lock").exists()


def test_pick_writes_the_seed_and_the_next_build_uses_the_cached_take(project: GameProject) -> None:
    path = project.write("sfx/door.sfx.toml", '# the old door\nprompt = "wooden door creaking"  # keep\nduration = 0.5\n\n'
                                              '[output]\nfade_out = 0.1\n')
    project.run("audition", "door", "--takes", "2")
    take = (project.root / "sfx-audition/door/take_02.wav").read_bytes()
    seed = json.loads((project.root / "sfx-audition/door/takes.json").read_text())["takes"]["2"]
    run = project.run("pick", "door", "2")
    assert run.code == 0 and f"sfx/door.sfx.toml: seed = {seed} (take 2)" in run.out
    assert path.read_text() == (f'# the old door\nprompt = "wooden door creaking"  # keep\nseed = {seed}\n'
                                'duration = 0.5\n\n[output]\nfade_out = 0.1\n')
    doc = json.loads(project.run("build", "--json").out)
    assert doc["counts"]["generated"] == 0 and doc["counts"]["reused"] == 1
    assert project.wav("audio/door.wav").read_bytes() == take


def test_pick_replaces_an_existing_seed_inside_a_sound_table(project: GameProject) -> None:
    path = project.write("sfx/ui.sfx.toml", '[[sound]]\nname = "click"\nprompt = "click"\nseed = 1\n\n'
                                            '[[sound]]\nname = "beep"\nprompt = "beep"\nseed = 2\n')
    project.run("audition", "beep", "--takes", "2")
    seed = json.loads((project.root / "sfx-audition/beep/takes.json").read_text())["takes"]["1"]
    assert project.run("pick", "beep", "1").code == 0
    assert path.read_text() == (f'[[sound]]\nname = "click"\nprompt = "click"\nseed = 1\n\n'
                                f'[[sound]]\nname = "beep"\nprompt = "beep"\nseed = {seed}\n')


def test_mistakes_are_explained(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    project.sound("steps", "footsteps", "variations = 2\n")
    run = project.run("audition", "dor")
    assert run.code == 1 and "no sound named 'dor'" in run.err and "did you mean 'door'?" in run.err
    run = project.run("pick", "door", "1")
    assert run.code == 1 and "run `sfx-pipeline audition door` first" in run.err
    project.run("audition", "door", "--takes", "2")
    run = project.run("pick", "door", "7")
    assert run.code == 1 and "door has no take 7" in run.err and "takes are 0, 1, 2" in run.err
    run = project.run("audition", "steps_02", "--takes", "1")  # refused before rendering takes pick would refuse
    assert run.code == 1 and "one of the variations of sfx/steps.sfx.toml" in run.err
    assert not (project.root / "sfx-audition/steps_02").exists()
    with pytest.raises(SystemExit) as exit_:  # a usage error, with the audition command's usage
        project.run("audition", "door", "--takes", "0")
    assert exit_.value.code == 64 and "ask for 1 to 32 takes" in project.capsys.readouterr().err


def test_pick_keeps_windows_line_endings(project: GameProject) -> None:
    path = project.root / "sfx" / "door.sfx.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'prompt = "wooden door"\r\nduration = 0.5\r\n')
    project.run("audition", "door", "--takes", "1")
    seed = json.loads((project.root / "sfx-audition/door/takes.json").read_text())["takes"]["1"]
    assert project.run("pick", "door", "1").code == 0
    assert path.read_bytes() == f'prompt = "wooden door"\r\nseed = {seed}\r\nduration = 0.5\r\n'.encode()


def test_pick_refuses_takes_made_from_other_settings(project: GameProject) -> None:
    path = project.sound("glass", "glass shatter")
    project.run("audition", "glass", "--takes", "2")
    project.sound("glass", "glass shatter on stone")  # the prompt changed after the audition
    before = path.read_text()
    run = project.run("pick", "glass", "1")
    assert run.code == 1 and "the takes of glass were made from other settings" in run.err
    assert "run `sfx-pipeline audition glass` again" in run.err and path.read_text() == before
    project.run("audition", "glass", "--takes", "2")
    assert project.run("pick", "glass", "1").code == 0


def test_pick_take_0_keeps_the_current_seed(project: GameProject) -> None:
    path = project.sound("door", "wooden door", "seed = 7\n")
    project.run("audition", "door", "--takes", "1")
    before = path.read_bytes()
    run = project.run("pick", "door", "0")
    assert run.code == 0 and "take 0 is the current seed (7); nothing to change" in run.out
    assert path.read_bytes() == before
