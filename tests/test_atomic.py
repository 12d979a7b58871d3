"""write_atomic on real files: readers and crashes see the old bytes or the new, never a mix."""

from __future__ import annotations

import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sfx_pipeline.atomic import write_atomic

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
A = b"A" * MB
B = b"B" * MB

# A child that rewrites `target` with alternating whole payloads. It prints "ready" once
# its first write landed, then keeps going for `rounds` writes, or forever when rounds is 0.
CHILD = """
import sys
from pathlib import Path
from sfx_pipeline.atomic import write_atomic
target, size, rounds, durable = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
payloads = (b"B" * size, b"A" * size)
write_atomic(target, payloads[0], durable=durable)
print("ready", flush=True)
i = 1
while rounds == 0 or i < rounds:
    write_atomic(target, payloads[i % 2], durable=durable)
    i += 1
"""


def start_child(target: Path, size: int = MB, rounds: int = 0, durable: bool = False) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), str(size), str(rounds), "1" if durable else "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    if line.strip() != "ready":
        child.kill()
        _, err = child.communicate()
        pytest.fail(f"child did not start: {line!r} {err}")
    return child


def leftovers(folder: Path, target: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p != target)


# basics ---------------------------------------------------------------------------------


def test_creates_missing_parent_folders(tmp_path: Path) -> None:
    target = tmp_path / "audio" / "ui" / "deep" / "click.wav"
    write_atomic(target, b"RIFF....")
    assert target.read_bytes() == b"RIFF...."


def test_replaces_existing_content(tmp_path: Path) -> None:
    target = tmp_path / "click.wav"
    target.write_bytes(b"old bytes that are longer than the new ones")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"


@pytest.mark.parametrize("durable", [True, False])
def test_leaves_only_the_target_behind(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "click.wav"
    for i in range(5):
        write_atomic(target, bytes([i]) * 1000, durable=durable)
    assert target.read_bytes() == bytes([4]) * 1000
    assert leftovers(tmp_path, target) == []


def test_writes_empty_files(tmp_path: Path) -> None:
    target = tmp_path / "empty.bin"
    target.write_bytes(b"something")
    write_atomic(target, b"")
    assert target.read_bytes() == b""


def test_accepts_any_bytes_like_object(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    write_atomic(target, memoryview(bytearray(b"abc")))  # type: ignore[arg-type]
    assert target.read_bytes() == b"abc"


def test_temp_file_is_a_dotfile_next_to_the_target(tmp_path: Path) -> None:
    """Watch the folder while another process writes a large file: the only other name
    that ever appears is a hidden temp file, which Godot and Unity both skip."""
    target = tmp_path / "big.wav"
    child = start_child(target, size=32 * MB, rounds=0, durable=True)
    seen: set[str] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not seen:
            seen.update(name for name in os.listdir(tmp_path) if name != target.name)
    finally:
        child.kill()
        child.communicate()  # reaps it and closes its pipes
    assert seen, "never saw the temp file while a 32 MB write was in progress"
    pattern = re.compile(r"^\.big\.wav\..+\.tmp$")
    assert all(pattern.match(name) for name in seen), seen


# failures -------------------------------------------------------------------------------


def test_failed_write_keeps_the_original_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "click.wav"
    target.write_bytes(b"original")
    with pytest.raises(TypeError):
        write_atomic(target, "text is not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"original"
    assert leftovers(tmp_path, target) == []


def test_failed_write_of_a_new_file_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.wav"
    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # type: ignore[arg-type]
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_rename_keeps_the_target_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "click.wav"
    target.mkdir()  # os.replace cannot put a file over a folder
    (target / "inside.txt").write_bytes(b"keep me")
    with pytest.raises(OSError):
        write_atomic(target, b"new bytes")
    assert target.is_dir()
    assert (target / "inside.txt").read_bytes() == b"keep me"
    assert leftovers(tmp_path, target) == []


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_written_files_get_the_same_permissions_as_a_plain_write(tmp_path: Path) -> None:
    plain = tmp_path / "plain.wav"
    plain.write_bytes(b"x")
    target = tmp_path / "atomic.wav"
    write_atomic(target, b"x")
    assert stat.S_IMODE(target.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_replacing_a_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "shared.wav"
    target.write_bytes(b"old")
    target.chmod(0o644)
    write_atomic(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


# other processes ------------------------------------------------------------------------


def test_a_reader_always_sees_one_whole_payload(tmp_path: Path) -> None:
    target = tmp_path / "loop.wav"
    write_atomic(target, A)
    child = start_child(target, size=MB, rounds=400)
    reads: list[bytes] = []
    try:
        while child.poll() is None or len(reads) < 50:
            reads.append(target.read_bytes())
    finally:
        _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    bad = [(len(r), r[:1], r[-1:]) for r in reads if r not in (A, B)]
    assert bad == [], f"{len(bad)} of {len(reads)} reads saw a mixed or truncated file"
    assert leftovers(tmp_path, target) == []


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL is POSIX")
@pytest.mark.parametrize("durable", [True, False])
def test_kill_9_mid_write_leaves_one_whole_payload(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "crash.wav"
    rng = random.Random(1234)
    for _ in range(6):
        child = start_child(target, size=MB, rounds=0, durable=durable)
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        child.communicate()
        assert child.returncode == -signal.SIGKILL
        content = target.read_bytes()
        assert content in (A, B), f"target holds {len(content)} bytes after kill -9"
        # a temp file of a killed writer may remain, but only under a hidden temp name
        assert all(re.match(r"^\.crash\.wav\..+\.tmp$", name) for name in leftovers(tmp_path, target))


@pytest.mark.skipif(os.name == "nt", reason="os.kill with SIGINT is POSIX")
def test_ctrl_c_during_a_write_waits_until_the_file_is_whole(tmp_path: Path) -> None:
    # A real SIGINT sent from inside the critical section: it must not interrupt the write,
    # and must still raise as soon as the write is done.
    from sfx_pipeline import atomic

    target = tmp_path / "a.wav"
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with atomic._signals_held():
            os.kill(os.getpid(), signal.SIGINT)
            atomic._write(target, b"whole", durable=False)
            reached.append(True)
    assert reached == [True] and target.read_bytes() == b"whole"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
