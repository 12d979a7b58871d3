"""sfx-pipeline.lock: deterministic JSON, left alone when unchanged, clear errors when broken."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfx_pipeline.errors import UserError
from sfx_pipeline.lock import FORMAT, Lock, LockEntry, load, save
from sfx_pipeline.lock_splice import Splice, spliced


def entry(name: str, **changes: object) -> LockEntry:
    fields: dict[str, object] = dict(
        descriptor=f"sfx/{name}.sfx.toml",
        entry="",
        name=name,
        backend="procedural",
        placeholder=True,
        model="",
        seed=1234,
        generation_key="g" * 32,
        render_key="r" * 32,
        output_digest="d" * 32,
        generation={"prompt": f"{name} sound — ünïcode", "seed": 1234, "temperature": 1.0},
        render={"bit_depth": 16, "duration": 0.5, "fade_in": 0.0, "sample_rate": 48000},
    )
    fields.update(changes)
    return LockEntry(**fields)  # type: ignore[arg-type]


def sample_lock() -> Lock:
    return Lock(
        assets={
            "audio/door.wav": entry("door", batch={"size": 4, "index": 1}),
            "audio/ui/click.wav": entry("click", seed=7, placeholder=False, backend="audiogen", model="m"),
        },
        reproducibility={"procedural": "bit-exact", "audiogen": "same GPU and driver"},
    )


def test_missing_file_is_an_empty_lock(tmp_path: Path) -> None:
    lock = load(tmp_path / "sfx-pipeline.lock")
    assert lock.assets == {} and lock.reproducibility == {}


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    original = sample_lock()
    save(path, original)
    loaded = load(path)
    assert loaded.assets == original.assets
    assert loaded.reproducibility == original.reproducibility
    assert loaded.assets["audio/door.wav"].batch == {"size": 4, "index": 1}
    assert loaded.assets["audio/ui/click.wav"].batch == {}


def test_output_is_sorted_json_with_format_and_a_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    save(path, sample_lock())
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert doc["format"] == FORMAT
    assert list(doc) == sorted(doc)
    assert list(doc["assets"]) == ["audio/door.wav", "audio/ui/click.wav"]
    assert list(doc["assets"]["audio/door.wav"]) == sorted(doc["assets"]["audio/door.wav"])
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert "\n  \"assets\": {\n" in text  # two-space indent, one field a line
    assert "ünïcode" in text  # readable in a diff, not \u-escaped


def test_output_does_not_depend_on_insertion_order(tmp_path: Path) -> None:
    forward = sample_lock()
    backward = Lock(
        assets=dict(reversed(list(forward.assets.items()))),
        reproducibility=dict(reversed(list(forward.reproducibility.items()))),
    )
    assert list(backward.assets) != list(forward.assets)
    save(tmp_path / "a.lock", forward)
    save(tmp_path / "b.lock", backward)
    assert (tmp_path / "a.lock").read_bytes() == (tmp_path / "b.lock").read_bytes()


def test_save_leaves_an_unchanged_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    save(path, sample_lock())
    old = time.time() - 3600
    os.utime(path, (old, old))  # any rewrite would move the mtime to now
    before = path.stat()

    save(path, sample_lock())

    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_save_rewrites_a_changed_lock(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    save(path, sample_lock())
    changed = sample_lock()
    changed.assets["audio/door.wav"] = entry("door", seed=99)
    save(path, changed)
    assert load(path).assets["audio/door.wav"].seed == 99
    assert [p.name for p in tmp_path.iterdir()] == ["sfx-pipeline.lock"]


def test_empty_lock_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    save(path, Lock())
    assert json.loads(path.read_text(encoding="utf-8")) == {"format": FORMAT, "assets": {}, "reproducibility": {}}
    assert load(path).assets == {}


def test_merge_conflict_markers_ask_to_resolve_the_conflict(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    save(path, sample_lock())
    text = path.read_text(encoding="utf-8")
    ours = text.replace('"seed": 1234', '"seed": 1', 1)
    theirs = text.replace('"seed": 1234', '"seed": 2', 1)
    path.write_text(f"<<<<<<< HEAD\n{ours}=======\n{theirs}>>>>>>> feature\n", encoding="utf-8")

    with pytest.raises(UserError) as caught:
        load(path)

    assert "resolve the merge conflict" in caught.value.hint
    assert "sfx-pipeline.lock" in caught.value.message


def test_merge_conflict_inside_the_json_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    save(path, sample_lock())
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if '"seed"' in line)
    lines[at:at + 1] = ["<<<<<<< HEAD\n", lines[at], "=======\n", '      "seed": 5,\n', ">>>>>>> other\n"]
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load(path)
    assert "resolve the merge conflict" in caught.value.hint


def test_unknown_format_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    path.write_text(json.dumps({"format": FORMAT + 1, "assets": {}}), encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load(path)
    assert "format" in caught.value.message
    assert "merge conflict" not in caught.value.hint
    assert "restore it from version control" in caught.value.hint


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json at all",
        "[]",
        json.dumps({"format": FORMAT}),  # no assets
        json.dumps({"format": FORMAT, "assets": []}),
        json.dumps({"format": FORMAT, "assets": {"a.wav": {"name": "a"}}}),  # fields missing
        json.dumps({"format": FORMAT, "assets": {"a.wav": {**asdict(entry("a")), "extra": 1}}}),
        json.dumps({"format": FORMAT, "assets": {"a.wav": {**asdict(entry("a")), "seed": True}}}),  # a bool
        json.dumps({"format": FORMAT, "assets": {"a.wav": {**asdict(entry("a")), "seed": 1.5}}}),
        json.dumps({"format": FORMAT, "assets": {"a.wav": {**asdict(entry("a")), "placeholder": 1}}}),
        json.dumps({"format": FORMAT, "assets": {"a.wav": {**asdict(entry("a")), "batch": []}}}),
        json.dumps({"format": FORMAT, "assets": {"a.wav": {**asdict(entry("a")), "accepted": "yes"}}}),
        json.dumps({"format": FORMAT, "assets": {"../a.wav": asdict(entry("a"))}}),
        json.dumps({"format": FORMAT, "assets": {"project.godot": asdict(entry("a"))}}),
    ],
)
def test_damaged_lock_is_a_user_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load(path)
    assert "or delete it" in caught.value.hint


def test_lock_that_is_not_utf8_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    path.write_bytes(Lock().to_json().encode("utf-16"))
    with pytest.raises(UserError):
        load(path)


def nested(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = {"x": value}
    return value


@pytest.mark.parametrize("field", ["generation", "render", "batch"])
def test_an_entry_nested_past_the_limit_is_refused_and_one_at_it_is_read(tmp_path: Path, field: str) -> None:
    # the file's object, "assets" and the entry take three of the 32 levels
    path = tmp_path / "sfx-pipeline.lock"
    at_limit = {**asdict(entry("a")), field: nested(29)}
    path.write_text(json.dumps({"format": FORMAT, "assets": {"a.wav": at_limit}}), encoding="utf-8")
    assert load(path).assets["a.wav"] == LockEntry(**at_limit)
    path.write_text(json.dumps({"format": FORMAT, "assets": {"a.wav": {**at_limit, field: nested(30)}}}),
                    encoding="utf-8")
    with pytest.raises(UserError) as caught:
        load(path)
    assert "'a.wav' is nested more than 32 levels deep" in caught.value.message


def test_a_lock_read_or_written_again_in_one_process_is_what_parsing_gives(tmp_path: Path) -> None:
    # A build plans again right after writing the lock: the bytes it wrote are not parsed again.
    from sfx_pipeline.lock import _parse

    path = tmp_path / "sfx-pipeline.lock"
    lock = sample_lock()
    save(path, lock)
    again = load(path)
    assert again == lock == _parse(path.read_text(encoding="utf-8"))
    assert list(again.assets) == sorted(again.assets)  # in path order, as parsing gives them
    again.assets.clear()  # a copy: what one plan does with it reaches no other
    assert load(path) == lock
    path.write_text(path.read_text(encoding="utf-8").replace('"name": "door"', '"name": "dorr"'), encoding="utf-8")
    assert load(path).assets["audio/door.wav"].name == "dorr"  # other bytes are read afresh


def test_a_lock_whose_fields_json_reads_back_otherwise_is_parsed_again(tmp_path: Path) -> None:
    path = tmp_path / "sfx-pipeline.lock"
    save(path, Lock({"audio/a.wav": entry("a", batch={"shape": (1, 2)})}))
    assert load(path).assets["audio/a.wav"].batch == {"shape": [1, 2]}  # as read from the file


def _stdlib_text(lock: Lock) -> str:
    """The lock's text as the stdlib writes the whole document in one call: the reference."""
    doc = {"format": FORMAT, "reproducibility": lock.reproducibility,
           "assets": {path: e.to_json() for path, e in lock.assets.items()}}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_json_values = st.recursive(_json_scalars, lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.tuples(
    st.dictionaries(st.text(max_size=6), _json_values, max_size=3), st.booleans()), max_size=5),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3))
def test_the_text_is_what_the_stdlib_writes_for_the_whole_document(
        assets: dict[str, tuple[dict[str, object], bool]], reproducibility: dict[str, str]) -> None:
    # Paths with quotes, backslashes, control characters and any Unicode; nested values of
    # every JSON type; accepted entries (an extra field); empty locks and empty dicts.
    lock = Lock({path: entry(f"s{i}", batch=batch, accepted=accepted)
                 for i, (path, (batch, accepted)) in enumerate(assets.items())}, reproducibility)
    assert lock.to_json() == _stdlib_text(lock)
    assert lock.to_json() == _stdlib_text(lock)  # again, from the texts kept for its entries


def test_an_entry_replaced_in_a_lock_is_written_anew_and_the_others_as_before() -> None:
    lock = sample_lock()
    first = lock.to_json()
    again = lock.copy()  # shares its entries, as a watch's next plan does
    again.assets["audio/door.wav"] = entry("door", seed=99)
    assert again.to_json() == _stdlib_text(again) != first
    assert '"seed": 99' in again.to_json() and lock.to_json() == first


def _lock_of(assets: dict[str, tuple[dict[str, object], bool]], reproducibility: dict[str, str]) -> Lock:
    return Lock({path: entry(f"s{i}", batch=batch, accepted=accepted)
                 for i, (path, (batch, accepted)) in enumerate(assets.items())}, reproducibility)


_assets = st.dictionaries(st.text(min_size=1, max_size=12), st.tuples(
    st.dictionaries(st.text(max_size=6), _json_values, max_size=3), st.booleans()), max_size=6)


@settings(max_examples=200, deadline=None)
@given(_assets, _assets, st.sets(st.integers(0, 11)), st.dictionaries(st.text(max_size=8), st.text(max_size=8),
                                                                        max_size=2))
def test_a_spliced_lock_is_what_the_stdlib_writes_for_the_whole_document(
        before: dict[str, tuple[dict[str, object], bool]], added: dict[str, tuple[dict[str, object], bool]],
        dropped: set[int], promises: dict[str, str]) -> None:
    """A build after a few edits splices its entries into the lock's text (cli/delta_build.py):
    rewritten, added and dropped entries, first, last and next to each other, any paths and
    nested values, new reproducibility promises; the result must be the stdlib's text of the
    whole new lock, or None where that cannot be spliced (no entry before or after)."""
    old = _lock_of(before, {"procedural": "bit-exact"})
    new = old.copy()
    paths = sorted(old.assets)
    touched = {paths[i] for i in dropped if i < len(paths)}
    for path in touched:
        del new.assets[path]
    for path, (batch, accepted) in added.items():
        new.assets[path] = entry("new", batch=batch, accepted=accepted, seed=5)
        touched.add(path)
    new.reproducibility = {**new.reproducibility, **promises}
    planned = Lock({path: new.assets[path] for path in touched if path in new.assets}, new.reproducibility)
    text = _stdlib_text(old).encode()
    result = spliced(text, planned, touched, paths)
    if not old.assets or not new.assets:
        assert result is None  # an empty asset list is written otherwise
    else:
        assert result == _stdlib_text(new).encode()
    # Whether a lock changes the file is told from the cuts alone: the file's own entries
    # there keep it; any other lock keeps it exactly when its splice is the same bytes.
    splice = Splice.of(text, touched, paths)
    if splice is not None:
        assert splice.keeps(Lock({path: old.assets[path] for path in touched if path in old.assets},
                                 old.reproducibility))
        assert splice.keeps(planned) == (result == text)


@pytest.mark.parametrize("layout", ["compact", "crlf", "indent 4", "entry missing", "nested at an entry's indent"])
def test_only_a_lock_laid_out_as_this_version_writes_it_is_spliced(layout: str) -> None:
    lock = sample_lock()
    doc = json.loads(lock.to_json())
    text = {"compact": json.dumps(doc, sort_keys=True, ensure_ascii=False),
            "crlf": lock.to_json().replace("\n", "\r\n"),
            "indent 4": json.dumps(doc, indent=4, sort_keys=True, ensure_ascii=False) + "\n",
            "entry missing": lock.to_json(),
            # a hand edit that JSON still reads: a nested object moved out to an entry's indent
            "nested at an entry's indent": lock.to_json().replace('\n        "index": 1', '\n    "index": 1'),
            }[layout].encode()
    listed = sorted(lock.assets) + (["audio/zz.wav"] if layout == "entry missing" else [])
    changed = {"audio/zz.wav"} if layout == "entry missing" else {"audio/door.wav"}
    assert spliced(text, Lock({}, lock.reproducibility), changed, listed) is None
    assert spliced(lock.to_json().encode(), lock, {"audio/door.wav"}, sorted(lock.assets)) == lock.to_json().encode()
