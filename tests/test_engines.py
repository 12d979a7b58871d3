"""Engine adapters on real project folders: Unity's .meta files, Godot's untouched sidecars."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import yaml

from sfx_pipeline import engines, schema
from sfx_pipeline.engines.unity import ADPCM, COMPRESSED_IN_MEMORY, DECOMPRESS_ON_LOAD, STREAMING, guid_for
from support.project import GameProject

UNITY = """\
engine = "unity"
import_dir = "Assets/Audio/SFX"
[generator]
backend = "procedural"
"""


def unity_project(project: GameProject) -> GameProject:
    (project.root / "Assets").mkdir()
    (project.root / "ProjectSettings").mkdir()
    project.write("sfx-pipeline.toml", UNITY)
    return project


def meta_of(path: Path) -> dict:
    return yaml.safe_load(path.with_name(path.name + ".meta").read_text())


def test_every_new_output_and_folder_gets_a_meta_before_unity_sees_it(project: GameProject) -> None:
    unity_project(project)
    project.sound("click", "ui click", folder="sfx/ui", duration=0.5)
    project.sound("wind", "wind howling", folder="sfx/ambience", duration=9.0)
    project.sound("engine", "engine idling", '[output]\nloop = true\n', folder="sfx/ambience", duration=4.0)
    project.sound("door", "door creak", duration=3.0)
    assert project.run("build").code == 0
    sfx = project.root / "Assets" / "Audio" / "SFX"
    for wav in sfx.rglob("*.wav"):
        meta = wav.with_name(wav.name + ".meta")
        assert meta.stat().st_mtime_ns <= wav.stat().st_mtime_ns  # written first
        relative = wav.relative_to(project.root).as_posix()
        assert meta_of(wav)["guid"] == guid_for(relative)
        assert re.fullmatch(r"[0-9a-f]{32}", meta_of(wav)["guid"])
        assert meta_of(wav)["AudioImporter"]["forceToMono"] == 1
    for folder in ("Assets/Audio", "Assets/Audio/SFX", "Assets/Audio/SFX/ui", "Assets/Audio/SFX/ambience"):
        doc = meta_of(project.root / folder)
        assert doc["folderAsset"] is True and doc["guid"] == guid_for(folder)
    assert not (project.root / "Assets.meta").exists()

    def load(name: str) -> dict:
        return meta_of(next(sfx.rglob(name)))["AudioImporter"]["defaultSettings"]

    assert (load("click.wav")["loadType"], load("click.wav")["compressionFormat"]) == (DECOMPRESS_ON_LOAD, ADPCM)
    assert load("door.wav")["loadType"] == COMPRESSED_IN_MEMORY
    assert load("wind.wav")["loadType"] == STREAMING and load("wind.wav")["preloadAudioData"] == 0
    assert load("engine.wav")["loadType"] == STREAMING  # a looping ambience streams


def test_guids_are_the_same_on_every_machine_and_rebuild(project: GameProject, tmp_path: Path) -> None:
    unity_project(project)
    project.sound("click", "ui click")
    project.run("build")
    first = (project.root / "Assets/Audio/SFX/click.wav.meta").read_text()
    other = tmp_path / "elsewhere" / "game"
    shutil.copytree(project.root, other, ignore=shutil.ignore_patterns("*.wav", "*.meta", ".sfx-pipeline",
                                                                         "sfx-pipeline.lock"))
    teammate = GameProject(other, project.capsys)
    teammate.run("build")
    assert (other / "Assets/Audio/SFX/click.wav.meta").read_text() == first


def test_an_existing_meta_is_never_rewritten(project: GameProject) -> None:
    unity_project(project)
    project.sound("click", "ui click")
    project.run("build")
    meta = project.root / "Assets/Audio/SFX/click.wav.meta"
    chosen = meta.read_text().replace("loadType: 0", "loadType: 1").replace("guid: ", "guid: ")
    meta.write_text(chosen)  # a sound designer changed the import settings in Unity
    project.sound("click", "ui click, softer")
    doc = json.loads(project.run("build", "--json").out)
    assert doc["counts"]["generated"] == 1
    assert meta.read_text() == chosen


def test_godot_sidecars_and_import_files_are_never_written(project: GameProject) -> None:
    project.write("sfx-pipeline.toml", 'engine = "godot"\nimport_dir = "audio"\n[generator]\nbackend = "procedural"\n')
    project.sound("loop", "rain", '[output]\nloop = true\n', duration=2.0)
    project.run("build")
    names = sorted(p.name for p in (project.root / "audio").iterdir())
    assert names == ["loop.wav"]  # no .import: Godot writes its own, and loops come from the smpl chunk


def test_every_engine_the_config_accepts_has_an_adapter_of_that_name() -> None:
    assert set(engines.ENGINES) == set(schema.ENGINES)
    assert {name: engines.get(name).name for name in schema.ENGINES} == {name: name for name in schema.ENGINES}
