"""The content-addressed cache, on real files: key → manifest → blob."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from sfx_pipeline.cache import KINDS, Cache
from sfx_pipeline.hashing import digest

HOUR = 3600.0


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


def blob_file(cache: Cache, name: str) -> Path:
    return cache.root / "blobs" / name[:2] / name


def manifest_file(cache: Cache, kind: str, key: str) -> Path:
    return cache.root / kind / key[:2] / f"{key}.json"


def key(label: str) -> str:
    """A realistic key (hex digest), so the two-letter fan-out folders vary."""
    return digest(label)


def set_age(path: Path, seconds_ago: float) -> None:
    when = time.time() - seconds_ago
    os.utime(path, (when, when))


def flip_byte(path: Path, offset: int = 0) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*.tmp")]


# put / get ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_put_then_get_returns_the_bytes_and_meta(cache: Cache, kind: str) -> None:
    data = bytes(range(256)) * 40
    meta = {"batch": {"size": 4}, "model": "facebook/audiogen-medium", "seed": 7}
    blob = cache.put(kind, key("door"), data, meta)

    assert blob == digest(data)
    assert blob_file(cache, blob).read_bytes() == data
    entry = cache.get(kind, key("door"))
    assert entry is not None
    assert entry.data == data
    assert entry.meta == meta


def test_kinds_are_separate_namespaces(cache: Cache) -> None:
    cache.put("generations", key("door"), b"generated", {})
    assert cache.get("renders", key("door")) is None
    assert cache.get("generations", key("door")) is not None


def test_unknown_key_is_a_miss(cache: Cache) -> None:
    assert cache.get("renders", key("never written")) is None
    assert cache.manifest("renders", key("never written")) is None


def test_put_again_under_the_same_key_points_at_the_new_bytes(cache: Cache) -> None:
    cache.put("renders", key("door"), b"first version", {"n": 1})
    cache.put("renders", key("door"), b"second version", {"n": 2})
    entry = cache.get("renders", key("door"))
    assert entry is not None and entry.data == b"second version" and entry.meta == {"n": 2}


def test_same_bytes_share_one_blob_that_is_never_rewritten(cache: Cache) -> None:
    data = b"\x01\x02" * 5000
    name = cache.put("generations", key("a"), data, {})
    path = blob_file(cache, name)
    set_age(path, HOUR)  # an old mtime: any rewrite would replace it with "now"
    before = path.stat()

    assert cache.put("renders", key("b"), data, {}) == name
    assert cache.put_blob(data) == name

    after = path.stat()
    assert after.st_ino == before.st_ino
    assert after.st_mtime_ns == before.st_mtime_ns
    assert cache.stats().blobs == 1
    assert temp_files(cache.root) == []


def test_corrupt_blob_is_a_miss_and_the_entry_is_removed(cache: Cache) -> None:
    data = b"finished wav bytes" * 100
    name = cache.put("renders", key("door"), data, {})
    flip_byte(blob_file(cache, name), 500)

    assert cache.get("renders", key("door")) is None
    assert not blob_file(cache, name).exists()
    assert not manifest_file(cache, "renders", key("door")).exists()

    # the rebuild puts it back, and it reads intact again
    cache.put("renders", key("door"), data, {})
    entry = cache.get("renders", key("door"))
    assert entry is not None and entry.data == data


def test_truncated_blob_is_a_miss(cache: Cache) -> None:
    name = cache.put("generations", key("door"), b"x" * 1000, {})
    blob_file(cache, name).write_bytes(b"x" * 999)
    assert cache.get("generations", key("door")) is None
    assert not manifest_file(cache, "generations", key("door")).exists()


def test_manifest_pointing_at_a_missing_blob_is_a_miss(cache: Cache) -> None:
    name = cache.put("renders", key("door"), b"bytes", {})
    blob_file(cache, name).unlink()

    assert cache.get("renders", key("door")) is None
    assert not manifest_file(cache, "renders", key("door")).exists()


def test_manifest_reads_the_record_without_touching_the_blob(cache: Cache) -> None:
    data = b"abc" * 333
    name = cache.put("renders", key("door"), data, {"batch": {"size": 2}})
    flip_byte(blob_file(cache, name))  # corrupt: get() would delete it
    corrupted = blob_file(cache, name).read_bytes()

    record = cache.manifest("renders", key("door"))

    assert record == {"blob": name, "size": len(data), "meta": {"batch": {"size": 2}}}
    assert blob_file(cache, name).read_bytes() == corrupted  # not checked, not removed
    assert manifest_file(cache, "renders", key("door")).exists()


def test_manifest_works_even_when_the_blob_is_gone(cache: Cache) -> None:
    name = cache.put("renders", key("door"), b"bytes", {})
    blob_file(cache, name).unlink()
    record = cache.manifest("renders", key("door"))
    assert record is not None and record["blob"] == name


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"size": 3}', b""])
def test_unreadable_manifest_is_a_miss(cache: Cache, content: bytes) -> None:
    path = manifest_file(cache, "renders", key("door"))
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert cache.manifest("renders", key("door")) is None
    assert cache.get("renders", key("door")) is None


def test_no_temp_files_are_left_after_puts(cache: Cache) -> None:
    for i in range(20):
        cache.put(KINDS[i % 2], key(str(i)), os.urandom(1000), {"i": i})
    assert temp_files(cache.root) == []


# concurrency ----------------------------------------------------------------------------

SHARED_KEY = "shared"
WRITERS = 6
ROUNDS = 40


def payload(label: str) -> bytes:
    """Deterministic bytes per label, big enough that writes take a while."""
    seed = digest(label).encode()
    return (seed * (200_000 // len(seed) + 1))[: 150_000 + len(label) * 7]


def _writer(root: str, worker: int) -> None:
    cache = Cache(Path(root))
    shared = payload(SHARED_KEY)
    for i in range(ROUNDS):
        cache.put("renders", key(SHARED_KEY), shared, {"shared": True})
        own = f"worker{worker}-{i % 5}"
        cache.put("generations", key(own), payload(own), {"owner": worker})
        # a reader in the middle of other writers sees a whole entry or nothing, never junk
        entry = cache.get("renders", key(SHARED_KEY))
        if entry is None or entry.data != shared:
            raise SystemExit(f"worker {worker}: shared entry unreadable in round {i}")
        other = f"worker{(worker + 1) % WRITERS}-{i % 5}"
        seen = cache.get("generations", key(other))
        if seen is not None and seen.data != payload(other):
            raise SystemExit(f"worker {worker}: {other} read back wrong bytes")


def test_concurrent_writers_in_separate_processes(cache: Cache) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(cache.root), w)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * WRITERS

    shared = cache.get("renders", key(SHARED_KEY))
    assert shared is not None and shared.data == payload(SHARED_KEY) and shared.meta == {"shared": True}
    for w in range(WRITERS):
        for j in range(5):
            own = f"worker{w}-{j}"
            entry = cache.get("generations", key(own))
            assert entry is not None, own
            assert entry.data == payload(own)
            assert entry.meta == {"owner": w}
    assert cache.verify() == []
    stats = cache.stats()
    assert stats.entries == {"generations": WRITERS * 5, "renders": 1}
    assert stats.blobs == WRITERS * 5 + 1
    assert temp_files(cache.root) == []


# stats / verify -------------------------------------------------------------------------


def test_stats_on_an_empty_cache(cache: Cache) -> None:
    stats = cache.stats()
    assert stats.entries == {"generations": 0, "renders": 0}
    assert (stats.blobs, stats.bytes) == (0, 0)


def test_stats_counts_entries_per_kind_and_distinct_blobs(cache: Cache) -> None:
    cache.put("generations", key("a"), b"A" * 100, {})
    cache.put("generations", key("b"), b"B" * 30, {})
    cache.put("renders", key("a"), b"A" * 100, {})  # same bytes as generations/a
    cache.put("renders", key("c"), b"C" * 7, {})

    stats = cache.stats()
    assert stats.entries == {"generations": 2, "renders": 2}
    assert stats.blobs == 3
    assert stats.bytes == 137


def test_verify_on_a_healthy_cache_removes_nothing(cache: Cache) -> None:
    cache.put("generations", key("a"), b"A" * 100, {})
    cache.put("renders", key("b"), b"B" * 100, {})
    assert cache.verify() == []
    assert cache.stats().entries == {"generations": 1, "renders": 1}
    assert cache.stats().blobs == 2


def test_verify_removes_corrupt_blobs_and_dangling_manifests(cache: Cache) -> None:
    good = cache.put("generations", key("good"), b"G" * 100, {})
    bad = cache.put("renders", key("bad"), b"B" * 100, {})
    gone = cache.put("renders", key("gone"), b"X" * 100, {})
    flip_byte(blob_file(cache, bad), 10)
    blob_file(cache, gone).unlink()
    junk = manifest_file(cache, "generations", key("junk"))
    junk.parent.mkdir(parents=True, exist_ok=True)
    junk.write_text("<<<<<<< not json", encoding="utf-8")

    removed = cache.verify()

    assert sorted(removed) == sorted([
        f"corrupt blob {bad}",
        f"dangling renders entry {key('bad')}",
        f"dangling renders entry {key('gone')}",
        f"dangling generations entry {key('junk')}",
    ])
    assert not blob_file(cache, bad).exists()
    assert not manifest_file(cache, "renders", key("bad")).exists()
    assert not manifest_file(cache, "renders", key("gone")).exists()
    assert not junk.exists()
    entry = cache.get("generations", key("good"))
    assert entry is not None and entry.data == b"G" * 100
    assert blob_file(cache, good).exists()
    assert cache.verify() == []


# gc -------------------------------------------------------------------------------------


def put_aged(cache: Cache, kind: str, label: str, data: bytes, seconds_ago: float) -> str:
    name = cache.put(kind, key(label), data, {})
    set_age(manifest_file(cache, kind, key(label)), seconds_ago)
    return name


def test_gc_under_the_limit_removes_nothing(cache: Cache) -> None:
    put_aged(cache, "renders", "a", b"a" * 100, 300)
    put_aged(cache, "renders", "b", b"b" * 100, 200)
    assert cache.gc(max_bytes=200) == (0, 0)
    assert cache.stats().entries["renders"] == 2


def test_gc_removes_least_recently_used_first(cache: Cache) -> None:
    a = put_aged(cache, "renders", "a", b"a" * 100, 300)  # oldest
    b = put_aged(cache, "generations", "b", b"b" * 100, 200)
    c = put_aged(cache, "renders", "c", b"c" * 100, 100)  # newest

    assert cache.gc(max_bytes=250) == (1, 100)

    assert not manifest_file(cache, "renders", key("a")).exists()
    assert not blob_file(cache, a).exists()
    assert blob_file(cache, b).exists() and blob_file(cache, c).exists()
    assert cache.get("generations", key("b")) is not None
    assert cache.get("renders", key("c")) is not None
    assert cache.stats().bytes == 200


def test_gc_keeps_removing_until_under_the_limit(cache: Cache) -> None:
    put_aged(cache, "renders", "a", b"a" * 100, 400)
    put_aged(cache, "renders", "b", b"b" * 100, 300)
    put_aged(cache, "renders", "c", b"c" * 100, 200)
    put_aged(cache, "renders", "d", b"d" * 100, 100)

    assert cache.gc(max_bytes=150) == (3, 300)

    assert [cache.get("renders", key(k)) is not None for k in "abcd"] == [False, False, False, True]
    assert cache.stats().bytes == 100


def test_reading_an_entry_makes_it_recently_used(cache: Cache) -> None:
    put_aged(cache, "renders", "a", b"a" * 100, 300)
    put_aged(cache, "renders", "b", b"b" * 100, 200)
    assert cache.get("renders", key("a")) is not None  # a is now the newest

    assert cache.gc(max_bytes=150) == (1, 100)

    assert cache.manifest("renders", key("a")) is not None
    assert cache.manifest("renders", key("b")) is None


def test_gc_keeps_a_blob_another_manifest_still_references(cache: Cache) -> None:
    shared = put_aged(cache, "generations", "x", b"s" * 100, 300)  # oldest, shares its blob
    assert put_aged(cache, "renders", "y", b"s" * 100, 10) == shared  # newest
    other = put_aged(cache, "renders", "z", b"z" * 100, 200)

    # x goes first but frees nothing (y still needs the blob), so z goes too
    assert cache.gc(max_bytes=150) == (2, 100)

    assert cache.manifest("generations", key("x")) is None
    assert cache.manifest("renders", key("z")) is None
    assert not blob_file(cache, other).exists()
    assert blob_file(cache, shared).exists()
    entry = cache.get("renders", key("y"))
    assert entry is not None and entry.data == b"s" * 100


def test_gc_removes_unreferenced_blobs_first(cache: Cache) -> None:
    kept = put_aged(cache, "renders", "a", b"a" * 100, 100)
    orphan = cache.put_blob(b"orphan" * 10)

    assert cache.gc(max_bytes=10_000) == (0, 60)

    assert not blob_file(cache, orphan).exists()
    assert blob_file(cache, kept).exists()
    assert cache.get("renders", key("a")) is not None


def test_gc_with_zero_limit_empties_the_cache(cache: Cache) -> None:
    put_aged(cache, "renders", "a", b"a" * 100, 200)
    put_aged(cache, "generations", "b", b"b" * 50, 100)
    assert cache.gc(max_bytes=0) == (2, 150)
    stats = cache.stats()
    assert stats.entries == {"generations": 0, "renders": 0}
    assert (stats.blobs, stats.bytes) == (0, 0)


def test_gc_removes_stale_temp_files_but_not_fresh_ones(cache: Cache) -> None:
    name = cache.put("renders", key("a"), b"a" * 100, {})
    blob_dir = blob_file(cache, name).parent
    manifest_dir = manifest_file(cache, "renders", key("a")).parent
    stale_blob_tmp = blob_dir / f".{name}.abc123.tmp"
    stale_manifest_tmp = manifest_dir / f".{key('a')}.json.def456.tmp"
    fresh_tmp = blob_dir / ".in-progress-write.tmp"  # another process is writing it right now
    for path in (stale_blob_tmp, stale_manifest_tmp, fresh_tmp):
        path.write_bytes(b"partial")
    set_age(stale_blob_tmp, 2 * HOUR)
    set_age(stale_manifest_tmp, 2 * HOUR)
    set_age(fresh_tmp, 60)

    cache.gc(max_bytes=10_000)

    assert not stale_blob_tmp.exists()
    assert not stale_manifest_tmp.exists()
    assert fresh_tmp.exists()
    assert cache.get("renders", key("a")) is not None


def test_temp_files_are_not_counted_as_blobs(cache: Cache) -> None:
    name = cache.put("renders", key("a"), b"a" * 100, {})
    (blob_file(cache, name).parent / ".half-written.tmp").write_bytes(b"z" * 5000)
    stats = cache.stats()
    assert (stats.blobs, stats.bytes) == (1, 100)
