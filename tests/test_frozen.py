"""The survey's fast paths give what the general ones give: frozen objects rebuilt without their
__init__ (frozen.py), lock entries checked in one pass, memo rows compared field by field."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sfx_pipeline import config as config_mod
from sfx_pipeline import lock as lock_mod
from sfx_pipeline import scan
from sfx_pipeline.frozen import fast_fields, from_mapping, from_row
from sfx_pipeline.lock import LockEntry, checked_entry
from sfx_pipeline.plan import Action, by_fold, plan, render_questions
from sfx_pipeline.project import Project
from sfx_pipeline.report import QuietReporter
from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec, Target
from sfx_pipeline.state import StatMemo
from sfx_pipeline.states import Status
from sfx_pipeline.targets import Targets
from support.project import GameProject


def same(made: Any, expected: Any) -> None:
    """Equal, and alike in every way a reader can tell: repr, fields in order, hash where hashable."""
    assert type(made) is type(expected)
    assert made == expected
    assert repr(made) == repr(expected)
    assert list(vars(made).items()) == list(vars(expected).items())


def built_project(project: GameProject) -> config_mod.ProjectConfig:
    """A real project: one-sound files, a file of several sounds, one in another case, built."""
    project.sound("door", "wooden door creaking", "seed = 3\n[output]\nfade_out = 0.05\n")
    project.sound("Rain", "heavy rain", "[output]\npath = \"Amb/Rain.wav\"\nloudness = -20.0\n")
    project.write("sfx/ui.sfx.toml", """
        [[sound]]
        name = "click"
        prompt = "ui click"
        duration = 0.75

        [[sound]]
        name = "hover"
        prompt = "soft hover"
        duration = 0.5
        seed = 9
    """)
    doc = project.build()
    assert doc["exit_code"] == 0, json.dumps(doc)[:3000]
    return config_mod.load(project.root)


def test_recalled_specs_are_the_parsed_ones(project: GameProject) -> None:
    config = built_project(project)
    parsed = scan.load_all(config)  # no memo: every descriptor parsed from its TOML
    memo = StatMemo(project.root / "memo.json")
    scan.load_all(config, memo)
    old = time.time() - 10  # out of the racy window, so the memo keeps them
    for path in scan.find(config):
        os.utime(path, (old, old))
    scan.load_all(config, memo)
    assert memo.save() == ""
    recalled = scan.load_all(config, StatMemo(project.root / "memo.json"))  # every spec from the memo
    assert recalled.stats and len(recalled.specs) == len(parsed.specs) == 4
    for fast, slow in zip(recalled.specs, parsed.specs):
        same(fast, slow)
        same(fast.generation, slow.generation)
        same(fast.output, slow.output)


def test_lock_entries_are_those_of_the_general_path(project: GameProject) -> None:
    built_project(project)
    written = project.lock()["assets"]
    lock_mod._known.clear()  # parse the file, not the lock this process just wrote
    loaded = lock_mod.load(project.root / "sfx-pipeline.lock")
    assert set(loaded.assets) == set(written)
    for path, value in written.items():
        same(loaded.assets[path], LockEntry(**value))


def test_a_plan_with_the_shared_lookup_is_the_plan_without(project: GameProject) -> None:
    config = built_project(project)
    (project.root / "sfx" / "door.sfx.toml").write_text('prompt = "a louder door"\nduration = 0.5\n')
    (project.root / "audio" / "hover.wav").write_bytes(b"edited by hand")  # a question for render_questions
    proj = Project(project.root, QuietReporter())
    parsed = scan.load_all(config)
    lock = lock_mod.load(config.lock_path)
    disk = {path: proj.digests.digest(proj.root, path) for path in {s.output_path for s in parsed.specs} | set(lock.assets)}
    targets, _ = Targets(proj.generators, proj.keys).make(parsed, lock, disk)
    folded = by_fold(lock)
    questions = render_questions(targets, lock, disk)
    assert questions == render_questions(targets, lock, disk, folded) and len(questions) == 1
    held = {output: None for output, _, _ in questions}
    shared = plan(targets, [], lock, disk, held, folded=folded)
    assert shared == plan(targets, [], lock, disk, held)
    assert sorted(a.status for a in shared) == ["fresh", "fresh", "modified", "stale"]


class TestFrozen:
    def test_a_row_gives_the_object_init_gives(self) -> None:
        generation = from_row(GenerationParams, [1.0, 250, 0.0, 3.0])
        same(generation, GenerationParams(1.0, 250, 0.0, 3.0))
        row = [48000, 16, None, -1.0, 0.0, 0.05, None, -1.0, False, False, 0.25]
        same(from_row(OutputParams, row), OutputParams(*row))
        action = from_row(Action, ("a.wav", Status.FRESH, (), None, None, "d", None))
        same(action, Action("a.wav", Status.FRESH, on_disk="d"))
        assert hash(generation) == hash(GenerationParams(1.0, 250, 0.0, 3.0))

    def test_a_short_or_long_row_goes_through_the_class(self) -> None:
        same(from_row(OutputParams, [48000, 16, None, -1.0, 0.0, 0.05]),
             OutputParams(48000, 16, None, -1.0, 0.0, 0.05))  # defaults filled in by the class
        with pytest.raises(TypeError):
            from_row(GenerationParams, [1.0, 250, 0.0, 3.0, "extra"])
        with pytest.raises(TypeError):
            from_row(GenerationParams, [1.0])

    def test_a_mapping_lands_in_field_order_whatever_its_own(self) -> None:
        values = {"top_p": 0.0, "cfg_coef": 3.0, "temperature": 1.0, "top_k": 250}
        same(from_mapping(GenerationParams, values), GenerationParams(**values))

    @pytest.mark.parametrize("values", [
        {"temperature": 1.0, "top_k": 250, "top_p": 0.0, "other": 3.0},  # a stranger in place of a field
        {"temperature": 1.0, "top_k": 250, "top_p": 0.0},  # one missing
        {"temperature": 1.0, "top_k": 250, "top_p": 0.0, "cfg_coef": 3.0, "other": 1},  # one too many
    ])
    def test_a_mapping_that_does_not_name_every_field_fails_as_the_class_does(self, values: dict) -> None:
        with pytest.raises(TypeError):
            from_mapping(GenerationParams, values)

    def test_classes_with_their_own_init_work_are_refused(self) -> None:
        @dataclass(frozen=True)
        class Checked:
            value: int

            def __post_init__(self) -> None:
                raise ValueError("never skipped")

        @dataclass(frozen=True)
        class Derived:
            value: int
            twice: int = field(init=False, default=0)

        for cls in (Checked, Derived):
            with pytest.raises(TypeError):
                fast_fields(cls)

    def test_every_class_the_survey_rebuilds_qualifies(self) -> None:
        for cls in (GenerationParams, OutputParams, SoundSpec, Target, Action, LockEntry):
            assert fast_fields(cls)


# Every kind of JSON value, and a subclass JSON never gives (bool is an int to isinstance).
_VALUES = [None, True, 0, 1.5, "", "x", {}, {"seed": 1}, {"deep": {"er": [1]}}, [], [1]]
_GOOD = {"descriptor": "sfx/a.sfx.toml", "entry": "", "name": "a", "backend": "procedural", "placeholder": True,
         "model": "", "seed": 1, "generation_key": "g" * 32, "render_key": "r" * 32, "output_digest": "d" * 32,
         "generation": {"seed": 1}, "render": {"bit_depth": 16}}


def _variants() -> list[dict[str, Any]]:
    """A good entry, then each field (and batch, accepted, a stranger) set to each kind of
    value in turn, then each field left out."""
    found = [dict(_GOOD)]
    for name in [*_GOOD, "batch", "accepted", "other"]:
        found += [{**_GOOD, name: value} for value in _VALUES]
        found += [{k: v for k, v in _GOOD.items() if k != name}]
    return found


@pytest.mark.parametrize("value", _variants())
def test_an_entry_is_accepted_and_built_as_the_general_checks_would(value: dict[str, Any]) -> None:
    try:
        path, made = checked_entry("audio/a.wav", value)
    except ValueError as exc:
        accepted, why = False, str(exc)
    else:
        accepted, why = True, ""
        same(made, LockEntry(**value))
        assert path == "audio/a.wav"
        if "batch" not in value:
            assert made.batch == {} and made.batch is not checked_entry("audio/a.wav", value)[1].batch  # never shared
    assert accepted == _general_accepts(value), why


def _general_accepts(value: dict[str, Any]) -> bool:
    """The checks spelled out plainly, field by field, as the slow path makes them."""
    required = {"descriptor": str, "entry": str, "name": str, "backend": str, "placeholder": bool, "model": str,
                "seed": int, "generation_key": str, "render_key": str, "output_digest": str,
                "generation": dict, "render": dict}
    for name, kind in required.items():
        if name not in value or type(value[name]) is bool and kind is not bool or not isinstance(value[name], kind):
            return False
    return (set(value) <= {*required, "batch", "accepted"} and isinstance(value.get("batch", {}), dict)
            and isinstance(value.get("accepted", False), bool))


@pytest.mark.parametrize("row", [[1, 2, 3], [1.0, 2, 3], [1, 2, 4], [0, 2, 3], [1, 3, 3], [None, 2, 3],
                                 ["1", 2, 3], [True, 2, 3]])
def test_a_memo_row_is_recalled_exactly_when_its_stat_matches(row: list[Any]) -> None:
    memo = StatMemo(Path("/nonexistent/memo.json"))  # missing: an empty memo
    memo._known["f"] = [*row, "value"]  # as a damaged or hand-edited memo file may hold it
    # The three fields recall reads (size, mtime_ns, inode), chosen (a real file's cannot be).
    seen = SimpleNamespace(st_size=1, st_mtime_ns=2, st_ino=3)
    expected = "value" if row[:3] == [seen.st_size, seen.st_mtime_ns, seen.st_ino] else None  # the old comparison
    assert memo.recall("f", seen) == expected  # type: ignore[arg-type]


def test_recalled_targets_are_the_computed_ones(project: GameProject) -> None:
    config = built_project(project)
    old = time.time() - 10  # out of the racy window, so the memos keep them
    for path in scan.find(config):
        os.utime(path, (old, old))
    proj = Project(project.root, QuietReporter())
    parsed = scan.load_all(config, StatMemo(project.root / "specs.json"))
    lock = lock_mod.load(config.lock_path)
    disk = {path: proj.digests.digest(proj.root, path) for path in lock.assets}
    keys = StatMemo(project.root / "keys.json")
    computed, _ = Targets(proj.generators, keys).make(parsed, lock, disk)
    assert keys.save() == "" and len(computed) == 4
    remembered = StatMemo(project.root / "keys.json")
    assert len(remembered._known) == 3  # every descriptor's keys: each target below is recalled
    recalled, _ = Targets(proj.generators, remembered).make(parsed, lock, disk)
    for fast, slow in zip(recalled, computed):
        same(fast, slow)
