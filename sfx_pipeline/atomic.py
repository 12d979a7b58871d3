"""Replace a file so that every reader, and every crash, sees the old bytes or the new.

The temp file lives next to the target (same file system, so the rename is atomic) under
a name both engines skip: Godot and Unity ignore names that start with a dot. The target
is replaced in place, never deleted first: a file that vanishes, even briefly, makes
Godot drop its `.import` and Unity mint a new GUID, and references to it break.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()  # read once: os.umask can only be read by setting it


def write_atomic(target: Path, data: bytes, durable: bool = True) -> None:
    """`durable=False` skips fsync: for the cache, which re-hashes what it reads anyway."""
    with _signals_held():
        _write(target, data, durable)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the write is done or undone, then let them act.

    Python runs a signal handler between any two bytecodes, including the one that binds
    mkstemp's result to a name: an interrupt there would leave a temp file no `except` can
    see. For the few milliseconds of a write, the handlers only note the signal; the real
    handler runs (and raises) as soon as the file is whole. Handlers always run on the main
    thread, whichever thread the OS delivered the signal to, so only its writes need this."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    originals = {signum: signal.getsignal(signum) for signum in _HELD}
    noted: list[int] = []
    for signum in _HELD:
        signal.signal(signum, lambda received, frame: noted.append(received))
    try:
        yield
    finally:
        for signum, handler in originals.items():
            signal.signal(signum, handler)
        if noted:
            _deliver(noted[0], originals[noted[0]])


def _deliver(signum: int, handler: object) -> None:
    if callable(handler):
        handler(signum, None)  # e.g. raise KeyboardInterrupt
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)  # the default action: end the process
    # SIG_IGN or a handler set outside Python: nothing to do


_HELD = tuple(s for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None)


def _write(target: Path, data: bytes, durable: bool) -> None:
    try:
        fd, tmp = _temp_beside(target)
    except FileNotFoundError:  # the folder is new; creating it only then saves a syscall per write
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600; keep the file readable as before
        replace(Path(tmp), target)
        if durable:
            _sync_folder(target.parent)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _temp_beside(target: Path) -> tuple[int, str]:
    return tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")


def _mode_for(target: Path) -> int:
    """The replaced file's permissions, or what a plain open() would give a new file."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def _sync_folder(folder: Path) -> None:
    # The rename lives in the folder's entry table: sync it so it survives a power cut.
    if os.name == "nt":
        return  # Windows cannot open a folder for fsync; NTFS journals the rename
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace(source: Path, target: Path) -> None:
    # Windows refuses to replace a file another process holds open (an engine reading it,
    # an antivirus scan); such holds are brief, so retry for a moment before giving up.
    for attempt in range(20):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if os.name != "nt" or attempt == 19:
                raise
            time.sleep(0.05 * (attempt + 1))
