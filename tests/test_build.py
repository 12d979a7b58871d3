"""The core build on real projects in temp folders, through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sfx_pipeline.audio.wav import decode
from sfx_pipeline.hashing import digest
from support.project import GameProject


def outcomes(doc: dict) -> dict[str, str]:
    return {a["output"]: a["outcome"] for a in doc["assets"]}


def stamp(path: Path) -> tuple[int, int, bytes]:
    st = path.stat()
    return st.st_mtime_ns, st.st_ino, path.read_bytes()


def three(project: GameProject) -> None:
    project.sound("rain", "heavy rain on a roof", "seed = 1\n")
    project.sound("coin", "arcade coin pickup", "seed = 2\n")
    project.sound("door", "wooden door creaking", "seed = 3\n")


def test_first_build_installs_finished_wavs_and_a_lock(project: GameProject) -> None:
    three(project)
    doc = project.build()
    assert doc["counts"]["generated"] == 3 and doc["counts"]["installed"] == 3 and doc["exit_code"] == 0
    for name in ("rain", "coin", "door"):
        wav = decode(project.wav(f"audio/{name}.wav").read_bytes())
        assert (wav.rate, wav.bit_depth, wav.channels, wav.frames) == (48000, 16, 1, 24000)
        assert wav.info["INAM"] and "render=" in wav.info["ICMT"]
        peak = abs(wav.samples()).max()
        assert 0.85 < peak <= 0.9 , peak  # normalised to -1 dBFS
    lock = json.loads((project.root / "sfx-pipeline.lock").read_text())
    entry = lock["assets"]["audio/rain.wav"]
    assert entry["descriptor"] == "sfx/rain.sfx.toml" and entry["backend"] == "procedural" and entry["placeholder"]
    assert entry["seed"] == 1 and entry["output_digest"] == digest(project.wav("audio/rain.wav").read_bytes())
    assert lock["reproducibility"]["procedural"].startswith("deterministic")


def test_second_build_does_nothing_and_touches_nothing(project: GameProject) -> None:
    three(project)
    project.run("build")
    before = {p: stamp(p) for p in (project.root / "audio").iterdir()}
    lock_before = stamp(project.root / "sfx-pipeline.lock")
    doc = project.build()
    assert doc["counts"]["fresh"] == 3 and doc["counts"]["installed"] == 0
    assert {p: stamp(p) for p in (project.root / "audio").iterdir()} == before
    assert stamp(project.root / "sfx-pipeline.lock") == lock_before
    assert project.run("status").code == 0


def test_editing_one_descriptor_rebuilds_exactly_that_one(project: GameProject) -> None:
    three(project)
    project.run("build")
    project.sound("coin", "arcade coin pickup, higher", "seed = 2\n")
    status = project.run("status")
    assert status.code == 2
    assert "stale     audio/coin.wav [placeholder]  (prompt changed)" in status.out
    doc = project.build()
    assert outcomes(doc) == {"audio/coin.wav": "generated", "audio/door.wav": "fresh", "audio/rain.wav": "fresh"}


def test_a_fade_change_renders_again_without_generating(project: GameProject) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.run("build")
    project.sound("door", "wooden door creaking", "seed = 3\n[output]\nfade_out = 0.2\n")
    doc = project.build()
    assert outcomes(doc) == {"audio/door.wav": "cached"}  # audio from the generation cache
    assert doc["assets"][0]["reasons"] == ["output settings changed (fade_out)"]
    assert doc["counts"]["generated"] == 0
    samples = decode(project.wav("audio/door.wav").read_bytes()).samples()
    assert abs(samples[-1]) < 1e-3


def test_renaming_an_asset_regenerates_nothing(project: GameProject) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.run("build")
    old = project.wav("audio/door.wav").read_bytes()
    (project.root / "sfx/door.sfx.toml").rename(project.root / "sfx/door_wood.sfx.toml")
    doc = project.build("--prune")
    assert outcomes(doc) == {"audio/door_wood.wav": "cached", "audio/door.wav": "pruned"}
    assert project.wav("audio/door_wood.wav").read_bytes() == old
    assert not project.wav("audio/door.wav").exists()


def test_a_bad_descriptor_fails_alone(project: GameProject) -> None:
    three(project)
    project.write("sfx/broken.sfx.toml", 'prompt = "x"\nduration = 99\n')
    run = project.run("build")
    assert run.code == 1
    assert "error      sfx/broken.sfx.toml:2:1: duration: 99 is out of range: 0.5 to 30" in run.out
    assert "3 installed (3 generated, 0 from cache)" in run.out and ", 1 error in " in run.out
    assert len(list((project.root / "audio").glob("*.wav"))) == 3


def test_a_broken_descriptor_keeps_its_built_output(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    project.run("build")
    project.write("sfx/door.sfx.toml", 'prompt = "x"\nduration = = 1\n')
    doc = project.build("--prune")
    assert project.wav("audio/door.wav").exists()  # never pruned as an orphan while broken
    assert doc["problems"][0]["line"] == 2
    lock = json.loads((project.root / "sfx-pipeline.lock").read_text())
    assert "audio/door.wav" in lock["assets"]


def test_hand_edited_output_is_kept_until_forced(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    project.run("build")
    wav = project.wav("audio/door.wav")
    wav.write_bytes(wav.read_bytes()[:-100])  # a designer trimmed it
    edited = wav.read_bytes()
    project.sound("door", "wooden door creaking", "seed = 42\n")
    run = project.run("build")
    assert ("kept       audio/door.wav [placeholder]  (seed changed; output modified by hand: edited outside "
            "sfx-pipeline; `sfx-pipeline accept door` keeps it, --force replaces it)") in run.out
    assert wav.read_bytes() == edited
    assert run.code == 2 and project.run("status").code == 2  # build and status agree: something to look at
    doc = project.build("--force")
    assert outcomes(doc) == {"audio/door.wav": "generated"} and wav.read_bytes() != edited


def test_a_file_we_did_not_write_is_not_overwritten(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    theirs = project.write("audio/door.wav", "someone else's file")
    doc = project.build()
    assert outcomes(doc) == {"audio/door.wav": "kept"}
    assert theirs.read_text() == "someone else's file"


def test_prune_removes_orphans_and_their_engine_sidecars(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    project.sound("coin", "coin")
    project.run("build")
    project.write("audio/door.wav.import", "[remap]\n")  # as Godot would
    (project.root / "sfx/door.sfx.toml").unlink()
    status = project.run("status")
    assert "orphan    audio/door.wav  (no descriptor defines it any more (was sfx/door.sfx.toml))" in status.out
    assert status.code == 2
    assert outcomes(project.build())["audio/door.wav"] == "orphan"  # reported, not removed
    assert project.wav("audio/door.wav").exists()
    project.write("sfx-pipeline.toml", 'engine = "godot"\nimport_dir = "audio"\n[generator]\nbackend = "procedural"\n')
    doc = project.build("--prune")
    assert outcomes(doc)["audio/door.wav"] == "pruned"
    assert not project.wav("audio/door.wav").exists() and not project.wav("audio/door.wav.import").exists()
    assert "audio/door.wav" not in json.loads((project.root / "sfx-pipeline.lock").read_text())["assets"]


def test_prune_keeps_a_hand_edited_orphan(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    project.run("build")
    project.wav("audio/door.wav").write_bytes(b"RIFF edited")
    (project.root / "sfx/door.sfx.toml").unlink()
    assert outcomes(project.build("--prune"))["audio/door.wav"] == "kept"
    assert project.wav("audio/door.wav").read_bytes() == b"RIFF edited"


def test_dry_run_writes_nothing(project: GameProject) -> None:
    three(project)
    run = project.run("build", "--dry-run")
    assert "dry run: 3 to build" in run.out and run.code == 0
    assert not (project.root / "audio").exists() and not (project.root / "sfx-pipeline.lock").exists()


def test_only_builds_the_matching_assets(project: GameProject) -> None:
    three(project)
    doc = project.build("--only", "co*")
    assert outcomes(doc) == {"audio/coin.wav": "generated"}
    assert sorted(p.name for p in (project.root / "audio").iterdir()) == ["coin.wav"]


def test_rebuilds_never_touch_godot_sidecars(project: GameProject) -> None:
    project.write("sfx-pipeline.toml", 'engine = "godot"\nimport_dir = "audio"\n[generator]\nbackend = "procedural"\n')
    project.sound("door", "wooden door creaking")
    project.run("build")
    sidecar = project.write("audio/door.wav.import", '[remap]\nuid="uid://abc"\n')
    before = stamp(sidecar)
    project.sound("door", "metal door slam")
    assert outcomes(project.build()) == {"audio/door.wav": "generated"}
    assert stamp(sidecar) == before
    assert not [p for p in (project.root / "audio").iterdir() if p.name.endswith(".tmp")]


def test_a_corrupt_cache_entry_is_rebuilt_never_installed(project: GameProject, isolated_cache: Path) -> None:
    project.sound("door", "wooden door creaking")
    project.run("build")
    good = project.wav("audio/door.wav").read_bytes()
    for blob in (isolated_cache / "blobs").glob("*/*"):
        data = bytearray(blob.read_bytes())
        data[len(data) // 2] ^= 0xFF
        blob.write_bytes(bytes(data))
    project.wav("audio/door.wav").unlink()
    doc = project.build()
    assert outcomes(doc) == {"audio/door.wav": "generated"}
    assert project.wav("audio/door.wav").read_bytes() == good  # deterministic, and not the corrupt bytes


def test_a_teammate_with_the_committed_files_regenerates_nothing(project: GameProject, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    three(project)
    project.run("build")
    clone = tmp_path / "clone"
    shutil.copytree(project.root, clone, ignore=shutil.ignore_patterns(".sfx-pipeline"))
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(tmp_path / "teammate-cache"))  # an empty cache
    teammate = GameProject(clone, project.capsys)
    assert teammate.run("status").code == 0
    doc = teammate.build()
    assert doc["counts"] == {**doc["counts"], "fresh": 3, "installed": 0, "generated": 0}


def test_a_lost_lock_is_rebuilt_from_the_outputs(project: GameProject, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    three(project)
    project.run("build")
    lock = (project.root / "sfx-pipeline.lock").read_text()
    (project.root / "sfx-pipeline.lock").unlink()
    monkeypatch.setenv("SFX_PIPELINE_CACHE", str(tmp_path / "empty-cache"))  # nothing to compare against
    doc = project.build()
    assert doc["counts"]["fresh"] == 3 and doc["counts"]["generated"] == 0  # recognised by their INFO chunk
    assert (project.root / "sfx-pipeline.lock").read_text() == lock


def test_a_merge_conflict_in_the_lock_is_explained(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    project.run("build")
    (project.root / "sfx-pipeline.lock").write_text("<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> theirs\n")
    run = project.run("status")
    assert run.code == 1
    assert "sfx-pipeline.lock cannot be read" in run.err and "resolve the merge conflict" in run.err


def test_outputs_that_escape_through_a_symlink_are_refused(project: GameProject, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    try:
        (project.root / "audio").symlink_to(outside, target_is_directory=True)
    except OSError:
        pytest.skip("this OS does not let us create symlinks")
    project.sound("door", "wooden door creaking")
    doc = project.build()
    assert outcomes(doc) == {"audio/door.wav": "failed"} and "outside" in doc["assets"][0]["message"]
    assert not list(outside.iterdir())


def test_status_json_lists_reasons(project: GameProject) -> None:
    three(project)
    run = project.run("status", "--json")
    doc = json.loads(run.out)
    assert run.code == 2
    assert doc["counts"]["stale"] == 3
    assert {a["output"]: a["reasons"] for a in doc["assets"]}["audio/coin.wav"] == ["new asset"]
    assert all(a["placeholder"] for a in doc["assets"])


def test_unreadable_output_directory_fails_that_asset_only(project: GameProject) -> None:
    project.sound("door", "wooden door creaking")
    project.sound("coin", "coin", '[output]\npath = "blocked/coin.wav"\n')
    project.write("audio/blocked", "a file where a folder should be")
    doc = project.build()
    assert outcomes(doc) == {"audio/blocked/coin.wav": "failed", "audio/door.wav": "generated"}
    assert doc["exit_code"] == 1


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_nothing_half_written_is_visible_to_the_engine(project: GameProject) -> None:
    three(project)
    project.run("build")
    names = [p.name for p in (project.root / "audio").iterdir()]
    assert all(not n.startswith(".") for n in names), names


def age(root: Path, seconds: float = 3600) -> None:
    """Make every file look old, so stat-keyed memos trust it (past the racy window)."""
    past = os.stat(root).st_mtime - seconds
    for path in root.rglob("*"):
        os.utime(path, (past, past))


def test_memos_follow_descriptor_and_config_changes(project: GameProject) -> None:
    three(project)
    project.run("build")
    age(project.root)
    assert project.run("status").code == 0
    assert project.run("status").code == 0  # second run served from the memos
    memos = project.root / ".sfx-pipeline"
    assert (memos / "descriptors.json").exists() and (memos / "keys.json").exists()
    config = project.root / "sfx-pipeline.toml"
    config.write_text(config.read_text() + "\n[defaults.output]\nfade_out = 0.1\n")
    age(project.root)
    status = project.run("status")
    assert status.code == 2 and status.out.count("output settings changed (fade_out)") == 3
    project.sound("coin", "arcade coin pickup, brighter", "seed = 2\n")
    age(project.root)
    assert "prompt changed" in project.run("status").out


def test_a_memo_of_specs_in_an_older_layout_is_parsed_again(project: GameProject) -> None:
    # The memo stores specs by position. One written by a version whose SoundSpec had other
    # fields must be dropped, never read into the wrong fields.
    from sfx_pipeline import config

    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.run("build")
    age(project.root)
    state = project.root / ".sfx-pipeline"
    (state / "noop.json").unlink(missing_ok=True)  # plan in full: the snapshot would not read the memo
    assert project.run("status").code == 0
    memo = json.loads((state / "descriptors.json").read_text())
    (entry,) = memo["files"].values()
    (spec,) = entry[3]["specs"]
    assert spec[3] == "wooden door creaking"  # the prompt, where this test edits it below
    older = config.load(project.root).fingerprint  # the memo's context before its layout had a version

    def status_with(specs: list) -> str:
        entry[3]["specs"] = specs
        (state / "descriptors.json").write_text(json.dumps({"context": older, "files": memo["files"]}))
        (state / "noop.json").unlink(missing_ok=True)
        (state / "keys.json").unlink()  # keys computed from the specs as read, not recalled
        run = project.run("status")
        assert run.code == 0, run.out
        return run.out

    # as the previous layout wrote it: `seed_from_name` after the seed
    status_with([spec[:6] + [False] + spec[6:]])
    # a layout this version could read without an error, with another prompt: ignored all the same
    assert "prompt changed" not in status_with([spec[:3] + ["metal door"] + spec[4:]])
    assert json.loads((state / "descriptors.json").read_text())["context"] != older  # written anew


def test_a_lost_lock_after_a_descriptor_change_rebuilds_our_own_old_output(project: GameProject) -> None:
    project.sound("door", "wooden door creaking", "seed = 3\n")
    project.run("build")
    (project.root / "sfx-pipeline.lock").unlink()
    project.sound("door", "wooden door creaking", "seed = 4\n")
    doc = project.build()
    (asset,) = doc["assets"]
    assert asset["outcome"] == "generated"
    assert asset["reasons"] == ["output from an earlier build that the lock does not list"]
