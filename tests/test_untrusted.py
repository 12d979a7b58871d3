"""Hostile input on real files: a tampered lock, a poisoned cache, links at output paths,
paths in other spellings, outputs replaced by hand. Nothing sfx-pipeline does not own may be
deleted or overwritten, and nothing outside the project and the cache may be touched."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sfx_pipeline.audio.wav import decode
from sfx_pipeline.hashing import digest
from sfx_pipeline.paths import parts, relative_path_problem
from sfx_pipeline.untrusted import MAX_OUTPUT_PATH, normal_output
from support.project import GameProject

GODOT = 'engine = "godot"\nimport_dir = "audio/sfx"\n[generator]\nbackend = "procedural"\n'


def outcomes(doc: dict) -> dict[str, str]:
    return {a["output"]: a["outcome"] for a in doc["assets"]}


def links_allowed(tmp_path: Path) -> None:
    try:
        (tmp_path / ".probe").symlink_to(tmp_path)
    except OSError:
        pytest.skip("this OS does not let us create symlinks")
    (tmp_path / ".probe").unlink()


def tamper_lock(project: GameProject, edit) -> None:
    doc = project.lock()
    edit(doc["assets"])
    (project.root / "sfx-pipeline.lock").write_text(json.dumps(doc, indent=2), encoding="utf-8")


def list_as_asset(project: GameProject, path: str, template: str = "audio/door.wav") -> None:
    tamper_lock(project, lambda assets: assets.__setitem__(path, dict(assets[template])))


# 1. a tampered lock ----------------------------------------------------------------------


@pytest.mark.parametrize("victim", ["project.godot", ".git/config", "sfx/door.sfx.toml", "sfx-pipeline.toml"])
def test_a_lock_listing_a_project_file_cannot_make_prune_delete_it(project: GameProject, victim: str) -> None:
    project.write("project.godot", "[application]\n")
    project.write(".git/config", "[core]\n")
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    before = (project.root / victim).read_bytes()
    list_as_asset(project, victim)
    for flags in (["--prune"], ["--prune", "--force"]):
        run = project.run("build", *flags)
        assert run.code == 1 and "sfx-pipeline.lock" in run.err and repr(victim) in run.err
        assert "Traceback" not in run.err
    assert (project.root / victim).read_bytes() == before


@pytest.mark.parametrize("listed", ["../outside.wav", "/tmp/outside.wav", "audio/../../outside.wav",
                                    "C:/outside.wav"])
def test_a_lock_path_outside_the_project_is_refused_not_reported_as_an_orphan(project: GameProject,
                                                                              listed: str) -> None:
    outside = project.root.parent / "outside.wav"
    outside.write_bytes(b"RIFF....WAVE")
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    list_as_asset(project, listed)
    status = project.run("status")
    assert status.code == 1 and "not a .wav path inside the project" in status.err
    assert "orphan" not in status.out
    assert project.run("build", "--prune", "--force").code == 1
    assert outside.read_bytes() == b"RIFF....WAVE"


def test_a_wav_of_the_users_listed_in_the_lock_is_not_pruned_even_with_force(project: GameProject) -> None:
    # a bad merge lists the user's own music as an asset: it is not what sfx-pipeline wrote
    # there, and it carries no sfx-pipeline provenance, so even --prune --force keeps it
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    music = project.write("audio/theme.wav", "")
    music.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 20)
    list_as_asset(project, "audio/theme.wav")
    doc = project.build("--prune", "--force")
    assert outcomes(doc)["audio/theme.wav"] == "kept"
    assert music.exists()


# 2-3. a poisoned cache ---------------------------------------------------------------------


def manifests(cache: Path, kind: str) -> list[Path]:
    return sorted((cache / kind).glob("*/*.json"))


def test_a_manifest_naming_a_path_outside_the_cache_is_a_miss(project: GameProject, isolated_cache: Path,
                                                                tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    for kind in ("renders", "generations"):
        for manifest in manifests(isolated_cache, kind):
            record = json.loads(manifest.read_text())
            record["blob"] = str(victim)
            manifest.write_text(json.dumps(record))
    (project.root / "audio/door.wav").unlink()
    doc = project.build()
    assert outcomes(doc) == {"audio/door.wav": "generated"}
    assert victim.read_text() == "precious"


def test_a_manifest_pointing_at_another_valid_blob_is_never_installed(project: GameProject,
                                                                       isolated_cache: Path) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.sound("coin", "arcade coin pickup", "seed = 4\n")
    project.build()
    good = (project.root / "audio/door.wav").read_bytes()
    door_render = project.lock()["assets"]["audio/door.wav"]["render_key"]
    door_generation = project.lock()["assets"]["audio/door.wav"]["generation_key"]
    coin_generation = project.lock()["assets"]["audio/coin.wav"]["generation_key"]
    # door's render manifest now names coin's generated audio (a valid blob: its hash matches)
    coin_blob = json.loads(manifests_for(isolated_cache, "generations", coin_generation).read_text())["blob"]
    render_manifest = manifests_for(isolated_cache, "renders", door_render)
    record = json.loads(render_manifest.read_text())
    record["blob"], record["size"] = coin_blob, (isolated_cache / "blobs" / coin_blob[:2] / coin_blob).stat().st_size
    render_manifest.write_text(json.dumps(record))
    # and door's generation manifest names coin's too
    gen_manifest = manifests_for(isolated_cache, "generations", door_generation)
    gen_manifest.write_text(manifests_for(isolated_cache, "generations", coin_generation).read_text())
    (project.root / "audio/door.wav").unlink()
    doc = project.build()
    assert outcomes(doc)["audio/door.wav"] == "generated"
    assert (project.root / "audio/door.wav").read_bytes() == good
    decode(good)  # a whole RIFF/WAVE


def manifests_for(cache: Path, kind: str, key: str) -> Path:
    return cache / kind / key[:2] / f"{key}.json"


@pytest.mark.parametrize("damage", ["directory", "types", "missing", "deep", "rate0"])
def test_a_damaged_cache_entry_is_a_miss(project: GameProject, isolated_cache: Path, damage: str) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    for kind in ("renders", "generations"):
        for manifest in manifests(isolated_cache, kind):
            if damage == "directory":
                manifest.unlink()
                manifest.mkdir()
            elif damage == "types":
                manifest.write_text(json.dumps({"blob": ["x"], "size": "big", "meta": 3}))
            elif damage == "missing":
                manifest.write_text(json.dumps({"meta": {}}))
            elif damage == "deep":
                manifest.write_text("[" * 100_000 + "]" * 100_000)
            else:
                record = json.loads(manifest.read_text())
                record["meta"]["rate"] = 0
                manifest.write_text(json.dumps(record))
    for blob in (isolated_cache / "blobs").glob("*/*"):
        if damage == "directory":
            blob.unlink()
            blob.mkdir()
    (project.root / "audio/door.wav").unlink()
    doc = project.build()
    # a rate in a manifest is not trusted at all (generated audio carries its own), so that
    # entry is still good; every other damage is a miss
    assert doc["exit_code"] == 0 and outcomes(doc) == {"audio/door.wav": "cached" if damage == "rate0" else "generated"}
    decode((project.root / "audio/door.wav").read_bytes())


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="POSIX permissions; root ignores them")
def test_a_read_only_cache_is_read_and_skipped_for_writes(project: GameProject, isolated_cache: Path) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    project.sound("coin", "arcade coin pickup", "seed = 4\n")
    for folder in [isolated_cache, *isolated_cache.rglob("*")]:
        if folder.is_dir():
            folder.chmod(0o555)
    try:
        run = project.run("build")
        assert run.code == 0 and run.err.count("cannot write to the cache") == 1
    finally:
        for folder in [isolated_cache, *isolated_cache.rglob("*")]:
            if folder.is_dir():
                folder.chmod(0o755)


def test_a_cache_root_that_is_a_file_still_builds_with_one_warning(project: GameProject, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_folder = tmp_path / "cachefile"
    not_a_folder.write_text("not a cache")
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(not_a_folder))
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.sound("coin", "arcade coin pickup", "seed = 4\n")
    run = project.run("build")
    assert run.code == 0 and run.err.count("cannot write to the cache") == 1
    assert not_a_folder.read_text() == "not a cache"
    assert project.run("status").code == 0


# 4. links at output paths ------------------------------------------------------------------


def test_an_output_that_is_a_link_to_a_project_file_is_never_written_through(project: GameProject,
                                                                             tmp_path: Path) -> None:
    links_allowed(tmp_path)
    project.write("project.godot", "[application]\n")
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    wav = project.root / "audio/door.wav"
    wav.unlink()
    wav.symlink_to(project.root / "project.godot")
    status = project.run("status")
    assert status.code == 2 and "a link, folder or other non-file is at the output path" in status.out
    doc = project.build("--force")
    assert outcomes(doc) == {"audio/door.wav": "kept"}
    assert wav.is_symlink() and (project.root / "project.godot").read_text() == "[application]\n"
    message = next(a["message"] for a in doc["assets"] if a["output"] == "audio/door.wav")
    assert "never writes through a link" in message and "--force replaces it" not in message  # --force was given


def test_a_dangling_link_pointing_outside_is_never_written_through(project: GameProject, tmp_path: Path) -> None:
    links_allowed(tmp_path)
    outside = tmp_path / "outside.wav"
    project.sound("door", "wooden door creaking", "seed = 3\n")
    (project.root / "audio").mkdir()
    (project.root / "audio/door.wav").symlink_to(outside)
    doc = project.build("--force")
    assert outcomes(doc) == {"audio/door.wav": "kept"}
    assert not outside.exists()


def test_prune_never_deletes_through_a_linked_folder(project: GameProject, tmp_path: Path) -> None:
    links_allowed(tmp_path)
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    outside = tmp_path / "elsewhere"
    shutil.move(project.root / "audio", outside)
    (project.root / "audio").symlink_to(outside, target_is_directory=True)
    (project.root / "sfx/door.sfx.toml").unlink()
    doc = project.build("--prune", "--force")
    assert outcomes(doc) == {"audio/door.wav": "kept"}
    assert (outside / "door.wav").exists()


def test_a_descriptor_folder_linked_to_outside_deletes_nothing(project: GameProject, tmp_path: Path) -> None:
    links_allowed(tmp_path)
    outside = tmp_path / "shared-sfx"
    outside.mkdir()
    (outside / "door.sfx.toml").write_text('prompt = "wooden door"\nduration = 0.5\n')
    project.write("sfx-pipeline.toml", 'import_dir = "sfx"\n[generator]\nbackend = "procedural"\n')
    shutil.rmtree(project.root / "sfx", ignore_errors=True)
    (project.root / "sfx").symlink_to(outside, target_is_directory=True)
    for flags in ([], ["--prune", "--force"]):
        run = project.run("build", *flags)
        assert "Traceback" not in run.err
    assert sorted(p.name for p in outside.iterdir()) == ["door.sfx.toml"]


# 5. one spelling per path ------------------------------------------------------------------


def test_a_dotted_output_path_collides_with_the_plain_one(project: GameProject) -> None:
    project.write("sfx/ui/jump.sfx.toml", 'prompt = "jump"\nduration = 0.5\n')
    project.write("sfx/ui/hop.sfx.toml", 'prompt = "hop"\nduration = 0.5\n[output]\npath = "ui/./jump.wav"\n')
    status = project.run("status")
    assert status.code == 1 and "would all write audio/ui/jump.wav" in status.out + status.err


def test_a_doubled_slash_in_import_dir_is_the_same_folder(project: GameProject) -> None:
    project.write("project.godot", "[application]\n")
    project.write("sfx-pipeline.toml", GODOT.replace("audio/sfx", "audio//sfx"))
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.sound("coin", "arcade coin pickup", "seed = 4\n")
    project.build()
    assert sorted(project.lock()["assets"]) == ["audio/sfx/coin.wav", "audio/sfx/door.wav"]
    assert project.run("status").code == 0
    project.write("sfx-pipeline.toml", GODOT)
    doc = project.build("--prune")
    assert doc["counts"]["pruned"] == 0 and doc["counts"]["fresh"] == 2
    assert (project.root / "audio/sfx/door.wav").exists() and (project.root / "audio/sfx/coin.wav").exists()


def test_an_import_dir_too_long_for_any_sound_is_named_once_in_the_config(project: GameProject) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    folder = "/".join(["deep"] * 50)  # 249 characters: no sound's path fits under it
    project.write("sfx-pipeline.toml", GODOT.replace("audio/sfx", folder))
    run = project.run("build")
    assert run.code == 1
    assert "sfx-pipeline.toml:2:1: import_dir: is 249 characters long" in run.err and "give a shorter folder" in run.err
    assert "door.sfx.toml" not in run.out + run.err  # one error, of the key at fault
    assert (project.root / "audio/door.wav").exists() and not (project.root / "deep").exists()


@pytest.mark.parametrize("folder", ["project.godot", "project.godot/sfx"])
def test_an_import_dir_where_a_file_is_is_named_once_in_the_config(project: GameProject, folder: str) -> None:
    project.write("project.godot", "[application]\n")
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.write("sfx-pipeline.toml", GODOT.replace("audio/sfx", folder))
    run = project.run("build")
    assert run.code == 1
    assert "import_dir: project.godot is a file, not a folder" in run.err and "door.sfx.toml" not in run.out + run.err
    assert (project.root / "project.godot").read_text() == "[application]\n"


def test_an_old_lock_spelling_paths_with_doubled_slashes_is_read_in_normal_form(project: GameProject) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    tamper_lock(project, lambda assets: assets.__setitem__("audio//./door.wav", assets.pop("audio/door.wav")))
    doc = project.build("--prune")
    assert outcomes(doc) == {"audio/door.wav": "fresh"} and doc["counts"]["pruned"] == 0
    assert list(project.lock()["assets"]) == ["audio/door.wav"]
    assert (project.root / "audio/door.wav").exists()


# 6. outputs replaced by hand -----------------------------------------------------------------


def test_an_output_replaced_by_a_copy_of_another_is_kept(project: GameProject) -> None:
    project.sound("hit", "punch hit", "seed = 3\n")
    project.sound("jump", "cartoon jump", "seed = 4\n")
    project.build()
    shutil.copy(project.root / "audio/hit.wav", project.root / "audio/jump.wav")
    copied = (project.root / "audio/jump.wav").read_bytes()
    doc = project.build()
    assert outcomes(doc)["audio/jump.wav"] == "kept"
    assert (project.root / "audio/jump.wav").read_bytes() == copied
    assert project.build("--force")["counts"]["installed"] == 1


def test_an_older_render_restored_over_an_output_is_kept(project: GameProject) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    older = (project.root / "audio/door.wav").read_bytes()
    project.sound("door", "wooden door creaking", "seed = 3\n[output]\nfade_out = 0.1\n")
    project.build()
    (project.root / "audio/door.wav").write_bytes(older)  # e.g. `git checkout` of the old file
    doc = project.build()
    assert outcomes(doc)["audio/door.wav"] == "kept"
    assert digest((project.root / "audio/door.wav").read_bytes()) == digest(older)


# the build's journal (the state folder is untrusted too) -------------------------------------


def test_a_journal_entry_is_folded_in_only_for_a_file_it_provably_describes(project: GameProject) -> None:
    from sfx_pipeline.journal import NAME

    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.build()
    door = project.lock()["assets"]["audio/door.wav"]
    music = project.write("audio/theme.wav", "")
    music.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 20)
    forged = {**door, "descriptor": "sfx/theme.sfx.toml", "name": "theme", "output_digest": digest(music.read_bytes())}
    lines = [{"path": "audio/theme.wav", "entry": forged}, {"path": "../escape.wav", "entry": door}]
    journal = project.root / ".sfx-pipeline" / NAME
    journal.write_text("\n".join(json.dumps(line) for line in lines) + "\n{torn")
    doc = project.build("--prune", "--force")
    assert "audio/theme.wav" not in outcomes(doc) and music.exists()
    assert list(project.lock()["assets"]) == ["audio/door.wav"] and not journal.exists()


def test_a_killed_build_leaves_a_journal_the_next_survey_folds_in(project: GameProject) -> None:
    import subprocess
    import sys
    import time

    from sfx_pipeline.journal import NAME

    for i in range(30):
        project.sound(f"rain_{i:02d}", "heavy rain on a tin roof", f"seed = {i}\n", duration=4.0)
    proc = subprocess.Popen([sys.executable, "-m", "sfx_pipeline", "build", "--project", str(project.root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = project.root / ".sfx-pipeline" / NAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and journal.read_text().count("\n") < 3 \
            if journal.exists() else time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    journaled = {json.loads(line)["path"] for line in journal.read_text().splitlines() if line.endswith("}")}
    assert len(journaled) >= 3
    status = json.loads(project.run("status", "--json").out)
    fresh = {a["output"] for a in status["assets"] if a["status"] == "fresh"}
    assert journaled <= fresh
    doc = project.build()
    assert not journaled & {a["output"] for a in doc["assets"] if a["outcome"] in ("generated", "cached")}
    assert journaled <= set(project.lock()["assets"]) and not journal.exists()


def _general_normal_output(text: str) -> str | None:
    """normal_output as it was before its fast path for plain paths: the checks in full."""
    if len(text) > MAX_OUTPUT_PATH or relative_path_problem(text):
        return None
    normal = "/".join(parts(text))
    return normal if normal.lower().endswith(".wav") and normal.lower() != ".wav" else None


_FOLDERS = ["audio", "Audio-2", "a_b", "con", "CON", "lpt1", "com0", "nul", "x" * 121, "x" * 120, ".", "..", "",
            ".hidden", "a b", "é", "conin$", "com¹", "con.d", "aux_", "a.b"]
_FILES = ["door.wav", "Door.WAV", "con.wav", "Con.wav", "PRN.wav", "com9.wav", "nul.x.wav", "a.b.wav", ".wav",
          "x.wav", "-.wav", "_x_.wav", "door.wav.", "door .wav", "y" * 116 + ".wav", "y" * 117 + ".wav",
          "door.ogg", "door", "lpt¹.wav", "conout$.wav", "dóor.wav", "a:b.wav"]


@pytest.mark.parametrize("folder", ["", *_FOLDERS])
def test_plain_output_paths_take_a_shortcut_to_the_same_answer(folder: str) -> None:
    for file in _FILES:
        for text in (f"{folder}/{file}" if folder else file, f"{folder}/{folder}/{file}", f"{file}/{folder}"):
            assert normal_output(text) == _general_normal_output(text), text
