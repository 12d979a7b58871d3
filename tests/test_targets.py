"""Which target each output is judged by. Targets read no output file: whether one is there
comes in as an argument, so these tests hand in facts no disk holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sfx_pipeline import config as config_mod
from sfx_pipeline import scan
from sfx_pipeline.generators import Generators
from sfx_pipeline.lock import Lock, LockEntry
from sfx_pipeline.report import QuietReporter
from sfx_pipeline.sound import Target
from sfx_pipeline.state import StatMemo
from sfx_pipeline.targets import Targets
from support.project import GameProject, use_audiogen

OUT = "audio/door.wav"


def made_by_audiogen(t: Target) -> LockEntry:
    """What the lock says when a machine with the model built this sound."""
    return LockEntry(descriptor=t.spec.descriptor, entry="", name=t.spec.name, backend="audiogen", placeholder=False,
                     model="local:" + "a" * 32, seed=t.spec.seed, generation_key="1" * 32, render_key="2" * 32,
                     output_digest="d" * 32, generation={}, render={})


def test_a_real_sound_is_judged_by_its_model_only_while_its_output_is_there(project: GameProject,
                                                                           tmp_path: Path) -> None:
    use_audiogen(project, tmp_path / "not-on-this-laptop", backend="auto")
    project.sound("door", "door creak")
    config = config_mod.load(project.root)
    parsed = scan.load_all(config)
    generators = Generators(config.generator, config.cache_dir, QuietReporter())

    def judged(lock: Lock, disk: dict[str, str | None]) -> Target:
        (t,), problems = Targets(generators, StatMemo(tmp_path / "keys.json")).make(parsed, lock, disk)
        assert problems == []
        return t

    placeholder = judged(Lock(), {OUT: None})
    assert (placeholder.backend, placeholder.placeholder, placeholder.unavailable) == ("procedural", True, None)

    lock = Lock({OUT: made_by_audiogen(placeholder)})
    assert not (project.root / OUT).exists()  # the facts handed in are all it goes by
    real = judged(lock, {OUT: "d" * 32})
    assert (real.backend, real.placeholder, real.generation["model"]) == ("audiogen", False, "local:" + "a" * 32)
    assert real.unavailable == generators.why_not(real.spec.model) and "audiogen" in real.unavailable
    assert judged(lock, {OUT: None}) == placeholder  # no sound to keep: a placeholder beats silence


def test_remembered_keys_give_the_targets_computing_them_gives(project: GameProject, tmp_path: Path) -> None:
    use_audiogen(project, tmp_path / "not-on-this-laptop", backend="auto")
    descriptor = project.sound("door", "door creak")
    past = descriptor.stat().st_mtime - 3600
    os.utime(descriptor, (past, past))  # old enough for a stat-keyed memo to trust
    config = config_mod.load(project.root)
    parsed = scan.load_all(config, StatMemo(tmp_path / "descriptors.json"))  # which gives the files' stats
    generators = Generators(config.generator, config.cache_dir, QuietReporter())
    memo = StatMemo(tmp_path / "keys.json")

    def targets(lock: Lock, disk: dict[str, str | None]) -> list[Target]:
        return Targets(generators, memo).make(parsed, lock, disk)[0]

    (placeholder,) = targets(Lock(), {OUT: None})
    built = LockEntry(descriptor=placeholder.spec.descriptor, entry="", name="door", backend="procedural",
                      placeholder=True, model="", seed=placeholder.spec.seed, generation_key=placeholder.generation_key,
                      render_key=placeholder.render_key, output_digest="d" * 32, generation=placeholder.generation,
                      render=placeholder.render)
    for lock in (Lock({OUT: built}), Lock({OUT: made_by_audiogen(placeholder)})):
        computed = targets(lock, {OUT: "d" * 32})
        assert memo.recall("sfx/door.sfx.toml", parsed.stats["sfx/door.sfx.toml"]) is not None
        assert targets(lock, {OUT: "d" * 32}) == computed  # the second time from the memo where it can be
    assert targets(Lock({OUT: built}), {OUT: "d" * 32}) == [placeholder]


def aged(path: Path) -> Path:
    past = path.stat().st_mtime - 3600
    os.utime(path, (past, past))  # old enough for a stat-keyed memo to trust
    return path


def test_a_long_lived_project_makes_unchanged_targets_once_and_follows_every_change(project: GameProject) -> None:
    # `watch` keeps one Project: an unchanged file's specs and targets are the objects of the
    # last plan, and whatever they are made of changing (descriptor, lock entry) makes them anew.
    from sfx_pipeline.project import Project

    door, rain = aged(project.sound("door", "door creak")), aged(project.sound("rain", "rain on a roof"))
    project.build()
    lock_path = project.root / "sfx-pipeline.lock"
    aged(lock_path)
    live = Project(project.root, QuietReporter())
    live.plans_again()  # as watch.Session makes it

    def targets() -> dict[str, Target]:
        return {a.output: a.target for a in live.survey().actions if a.target}

    first = targets()
    again = targets()
    assert all(again[out] is first[out] for out in first)  # made once

    doc = json.loads(lock_path.read_text(encoding="utf-8"))
    doc["assets"]["audio/rain.wav"]["generation"]["prompt"] = "changed in the lock only"
    lock_path.write_text(json.dumps(doc), encoding="utf-8")
    after_lock = targets()
    assert after_lock["audio/door.wav"] == first["audio/door.wav"]  # other bytes, all new entries: made anew
    assert after_lock["audio/door.wav"] is not first["audio/door.wav"]
    assert after_lock["audio/rain.wav"].generation["prompt"] == "changed in the lock only"  # from the new entry

    door.write_text('prompt = "door slam"\nduration = 0.5\n', encoding="utf-8")
    aged(door)
    actions = {a.output: a for a in live.survey().actions}
    assert actions["audio/door.wav"].target.spec.prompt == "door slam"
    assert "prompt changed" in actions["audio/door.wav"].reasons
    assert actions["audio/rain.wav"].target is after_lock["audio/rain.wav"]
    assert rain.exists()
