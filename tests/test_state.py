"""FileDigests: a stat-keyed memo of file digests, with git's guard against racy edits."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from sfx_pipeline.hashing import digest
from sfx_pipeline.state import ABANDONED_SECONDS, FileDigests, StatMemo, drop_abandoned_temps

HOUR_NS = 3600 * 10**9


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "game"
    folder.mkdir()
    return folder


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "game" / ".sfx-pipeline"


def write(path: Path, data: bytes, age_ns: int) -> None:
    """Write `data` and give the file an mtime `age_ns` in the past."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    set_mtime_ns(path, time.time_ns() - age_ns)


def set_mtime_ns(path: Path, mtime_ns: int) -> None:
    os.utime(path, ns=(mtime_ns, mtime_ns))


def edit_in_place(path: Path, data: bytes) -> None:
    """New bytes of the same length in the same inode, with size and mtime put back:
    the stat of the file is exactly what it was before."""
    before = path.stat()
    assert len(data) == before.st_size
    with open(path, "r+b") as f:
        f.write(data)
    set_mtime_ns(path, before.st_mtime_ns)
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)


def test_digest_is_the_xxh3_of_the_bytes(root: Path, state_dir: Path) -> None:
    data = os.urandom(5000)
    write(root / "audio" / "door.wav", data, HOUR_NS)
    assert FileDigests(state_dir).digest(root, "audio/door.wav") == digest(data)


def test_fresh_file_gets_the_right_digest_too(root: Path, state_dir: Path) -> None:
    (root / "new.wav").write_bytes(b"just written")
    assert FileDigests(state_dir).digest(root, "new.wav") == digest(b"just written")


def test_missing_file_is_none(root: Path, state_dir: Path) -> None:
    digests = FileDigests(state_dir)
    assert digests.digest(root, "audio/nothing.wav") is None
    (root / "file.wav").write_bytes(b"x")
    assert digests.digest(root, "file.wav/below.wav") is None  # a file where a folder should be


def test_folder_is_none(root: Path, state_dir: Path) -> None:
    (root / "audio").mkdir()
    assert FileDigests(state_dir).digest(root, "audio") is None


def test_deleted_file_becomes_none(root: Path, state_dir: Path) -> None:
    write(root / "a.wav", b"abc", HOUR_NS)
    digests = FileDigests(state_dir)
    assert digests.digest(root, "a.wav") == digest(b"abc")
    (root / "a.wav").unlink()
    assert digests.digest(root, "a.wav") is None


def test_old_file_with_unchanged_stat_is_not_hashed_again(root: Path, state_dir: Path) -> None:
    """Proof that the memo trusts stat: swap the bytes behind an identical stat and the
    remembered (now stale) digest comes back. Real edits always move the mtime."""
    path = root / "door.wav"
    write(path, b"original bytes", HOUR_NS)
    digests = FileDigests(state_dir)
    assert digests.digest(root, "door.wav") == digest(b"original bytes")

    edit_in_place(path, b"replaced bytes")

    assert digests.digest(root, "door.wav") == digest(b"original bytes")


def test_fresh_file_is_never_trusted_racy_git_guard(root: Path, state_dir: Path) -> None:
    """A file modified within the clock's granularity of being hashed may change again
    without its mtime moving, so its digest must not be remembered."""
    path = root / "door.wav"
    path.write_bytes(b"original bytes")  # mtime: now
    digests = FileDigests(state_dir)
    assert digests.digest(root, "door.wav") == digest(b"original bytes")

    edit_in_place(path, b"replaced bytes")  # same size, same mtime, same inode

    assert digests.digest(root, "door.wav") == digest(b"replaced bytes")


def test_size_change_is_hashed_again(root: Path, state_dir: Path) -> None:
    path = root / "door.wav"
    write(path, b"original", HOUR_NS)
    digests = FileDigests(state_dir)
    assert digests.digest(root, "door.wav") == digest(b"original")
    mtime = path.stat().st_mtime_ns

    path.write_bytes(b"original!")
    set_mtime_ns(path, mtime)

    assert digests.digest(root, "door.wav") == digest(b"original!")


def test_mtime_change_is_hashed_again(root: Path, state_dir: Path) -> None:
    path = root / "door.wav"
    write(path, b"original", HOUR_NS)
    digests = FileDigests(state_dir)
    assert digests.digest(root, "door.wav") == digest(b"original")

    edit_in_place(path, b"replaced")
    set_mtime_ns(path, path.stat().st_mtime_ns - HOUR_NS)  # still old, but different

    assert digests.digest(root, "door.wav") == digest(b"replaced")


def test_new_inode_is_hashed_again(root: Path, state_dir: Path) -> None:
    path = root / "door.wav"
    write(path, b"original", HOUR_NS)
    digests = FileDigests(state_dir)
    assert digests.digest(root, "door.wav") == digest(b"original")
    before = path.stat()

    replacement = root / "elsewhere.wav"
    replacement.write_bytes(b"replaced")
    set_mtime_ns(replacement, before.st_mtime_ns)
    os.replace(replacement, path)  # same size and mtime, another inode
    assert path.stat().st_ino != before.st_ino

    assert digests.digest(root, "door.wav") == digest(b"replaced")


def test_save_writes_a_gitignore_and_persists_across_instances(root: Path, state_dir: Path) -> None:
    path = root / "audio" / "door.wav"
    write(path, b"original bytes", HOUR_NS)
    first = FileDigests(state_dir)
    assert first.digest(root, "audio/door.wav") == digest(b"original bytes")
    first.save()

    ignore = state_dir / ".gitignore"
    assert "*" in ignore.read_text(encoding="utf-8").splitlines()
    assert "audio/door.wav" in json.loads((state_dir / "digests.json").read_text(encoding="utf-8"))["files"]
    assert [p.name for p in state_dir.iterdir() if p.name.endswith(".tmp")] == []

    edit_in_place(path, b"replaced bytes")
    second = FileDigests(state_dir)  # a later build: only the saved memo can know the old digest
    assert second.digest(root, "audio/door.wav") == digest(b"original bytes")


def test_fresh_digests_are_not_persisted(root: Path, state_dir: Path) -> None:
    path = root / "door.wav"
    path.write_bytes(b"original bytes")
    first = FileDigests(state_dir)
    first.digest(root, "door.wav")
    first.save()

    edit_in_place(path, b"replaced bytes")
    assert FileDigests(state_dir).digest(root, "door.wav") == digest(b"replaced bytes")


def test_record_remembers_a_known_digest_for_an_old_file(root: Path, state_dir: Path) -> None:
    path = root / "door.wav"
    write(path, b"real bytes", HOUR_NS)
    digests = FileDigests(state_dir)
    digests.record(root, "door.wav", "0123456789abcdef")  # trusted without hashing
    assert digests.digest(root, "door.wav") == "0123456789abcdef"


def test_forget_drops_the_memo(root: Path, state_dir: Path) -> None:
    path = root / "door.wav"
    write(path, b"original", HOUR_NS)
    digests = FileDigests(state_dir)
    digests.digest(root, "door.wav")
    edit_in_place(path, b"replaced")

    digests.forget("door.wav")

    assert digests.digest(root, "door.wav") == digest(b"replaced")


def test_corrupt_state_file_is_ignored(root: Path, state_dir: Path) -> None:
    state_dir.mkdir(parents=True)
    (state_dir / "digests.json").write_text("{ truncated", encoding="utf-8")
    write(root / "a.wav", b"abc", HOUR_NS)
    digests = FileDigests(state_dir)
    assert digests.digest(root, "a.wav") == digest(b"abc")
    digests.save()
    assert "a.wav" in json.loads((state_dir / "digests.json").read_text(encoding="utf-8"))["files"]


def test_a_memo_made_under_another_context_is_not_used(root: Path, state_dir: Path) -> None:
    write(root / "a.sfx.toml", b"prompt = 'x'", HOUR_NS)
    st = (root / "a.sfx.toml").stat()
    first = StatMemo(state_dir / "descriptors.json", context="config v1")
    first.remember("a.sfx.toml", st, {"specs": ["parsed"]})
    first.save()
    assert StatMemo(state_dir / "descriptors.json", context="config v1").recall("a.sfx.toml", st) == {"specs": ["parsed"]}
    assert StatMemo(state_dir / "descriptors.json", context="config v2").recall("a.sfx.toml", st) is None


def test_keep_only_drops_entries_of_deleted_files(root: Path, state_dir: Path) -> None:
    for name in ("a", "b"):
        write(root / name, name.encode(), HOUR_NS)
    memo = StatMemo(state_dir / "m.json")
    for name in ("a", "b"):
        memo.remember(name, (root / name).stat(), name)
    memo.keep_only({"a"})
    assert memo.recall("a", (root / "a").stat()) == "a"
    assert memo.recall("b", (root / "b").stat()) is None


def test_what_was_made_of_a_memo_value_is_handed_back_only_for_that_very_value(root: Path, state_dir: Path) -> None:
    path = root / "a.sfx.toml"
    write(path, b"x", age_ns=10**12)
    memo = StatMemo(state_dir / "m.json")
    st = path.stat()
    memo.remember("a.sfx.toml", st, [1, 2])
    value = memo.recall("a.sfx.toml", st)
    memo.keep_derived("a.sfx.toml", value, "made of [1, 2]")
    assert memo.derived("a.sfx.toml", value) is None  # a one-shot command's memo keeps nothing
    memo.derives = True  # a long-lived process's
    memo.keep_derived("a.sfx.toml", value, "made of [1, 2]")
    assert memo.derived("a.sfx.toml", memo.recall("a.sfx.toml", st)) == "made of [1, 2]"
    assert memo.derived("a.sfx.toml", [1, 2]) is None  # equal is not enough: the very object
    memo.remember("a.sfx.toml", st, [3])
    assert memo.derived("a.sfx.toml", memo.recall("a.sfx.toml", st)) is None  # a new value
    memo.keep_derived("a.sfx.toml", memo.recall("a.sfx.toml", st), "made of [3]")
    memo.keep_only(set())
    assert memo.derived("a.sfx.toml", value) is None and memo._derived == {}  # the file is gone


def test_only_temps_older_than_any_live_write_are_dropped(state_dir: Path) -> None:
    """A killed process leaves `.<name>.<8>.tmp` in the state folder. A `status` may be
    writing one now (it saves memos without the build lock), so only old ones go."""
    state_dir.mkdir(parents=True, exist_ok=True)
    old, young = state_dir / ".digests.json.abc12345.tmp", state_dir / ".keys.json.zz_99xyz.tmp"
    mine = state_dir / "notes.tmp"  # not a name a state write makes
    for path in (old, young, mine):
        path.write_bytes(b"{")
    long_ago = time.time() - ABANDONED_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    os.utime(mine, (long_ago, long_ago))
    assert drop_abandoned_temps(state_dir) == 1
    assert not old.exists() and young.exists() and mine.exists()
