"""A small built game project to torture, and the invariants every case must keep.

Built once per session (descriptors, WAVs, lock, state folder and cache), then copied for
each case, so a case costs a copy and one or two in-process builds.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import stat
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

from sfx_pipeline import config
from sfx_pipeline.audio.wav import decode
from sfx_pipeline.cli import main
from sfx_pipeline.errors import UserError
from sfx_pipeline.hashing import digest
from sfx_pipeline.project import Project
from sfx_pipeline.report import QuietReporter
from sfx_pipeline.states import Status

IMPORT_DIR = "audio/sfx"
GOOD = {
    "sfx/door.sfx.toml": 'prompt = "wooden door creaking"\nduration = 0.5\nseed = 3\n',
    "sfx/rain.sfx.toml": 'prompt = "heavy rain"\nduration = 0.5\nseed = 4\n',
    "sfx/ui/coin.sfx.toml": 'prompt = "arcade coin"\nduration = 0.5\nseed = 5\n',
    "sfx/ui/set.sfx.toml": '[[sound]]\nname = "blip"\nprompt = "ui blip"\nduration = 0.5\n'
                           '[[sound]]\nname = "click"\nprompt = "ui click"\nduration = 0.5\n',
}
GOOD_OUTPUTS = [f"{IMPORT_DIR}/{n}.wav" for n in ("door", "rain", "ui/coin", "ui/blip", "ui/click")]
CONFIG = f'engine = "godot"\nimport_dir = "{IMPORT_DIR}"\n[generator]\nbackend = "procedural"\n'
OWNED_BY_USER = {"project.godot": "[application]\n", ".git/config": "[core]\n", "README.md": "my game\n"}
TIMEOUT = 120  # seconds: far beyond any case here; past it the case is a hang


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so no `except Exception` can swallow it."""


@dataclass
class World:
    base: Path  # holds game/, cache/ and outside/
    @property
    def root(self) -> Path:
        return self.base / "game"

    @property
    def cache(self) -> Path:
        return self.base / "cache"

    @property
    def outside(self) -> Path:
        return self.base / "outside"


@dataclass
class Ran:
    code: int
    out: str
    err: str


def template() -> World:
    world = World(Path(tempfile.mkdtemp(prefix="sfx-torture-template-")))
    world.root.mkdir()
    world.outside.mkdir()
    (world.outside / "secret.txt").write_text("not yours")
    (world.outside / "secret.wav").write_bytes(b"RIFF\x04\x00\x00\x00WAVE")
    for rel, text in {**GOOD, **OWNED_BY_USER, "sfx-pipeline.toml": CONFIG}.items():
        (world.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (world.root / rel).write_text(text)
    ran = run(world, "build")
    assert ran.code == 0, ran.err
    past = os.stat(world.root).st_mtime - 3600  # old enough for the state folder's memos to trust
    for path in world.root.rglob("*"):
        os.utime(path, (past, past), follow_symlinks=False)
    assert run(world, "build").code == 0 and run(world, "status").code == 0
    return world


def copy_of(source: World) -> World:
    world = World(Path(tempfile.mkdtemp(prefix="sfx-torture-")))
    shutil.rmtree(world.base)
    shutil.copytree(source.base, world.base, symlinks=True)
    return world


def discard(world: World) -> None:
    for path in [world.base, *world.base.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            try:
                path.chmod(0o755)
            except OSError:
                pass
    shutil.rmtree(world.base, ignore_errors=True)


def run(world: World, *args: str) -> Ran:
    """One command, in this process, with this world's cache; a hang raises Hang."""
    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("SFX_PIPELINE_CACHE")
    os.environ["SFX_PIPELINE_CACHE"] = str(world.cache)
    alarm = hasattr(signal, "setitimer")
    if alarm:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main([args[0], "--project", str(world.root), *args[1:]])
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if saved is None:
            os.environ.pop("SFX_PIPELINE_CACHE", None)
        else:
            os.environ["SFX_PIPELINE_CACHE"] = saved
    return Ran(code, out.getvalue(), err.getvalue())


def _on_alarm(signum: int, frame: object) -> None:
    raise Hang(f"no answer within {TIMEOUT} s")


# snapshots ------------------------------------------------------------------------------


def snapshot(top: Path, skip=lambda rel: False) -> dict[str, object]:
    """Every entry under `top`, links not followed: what it is and what it holds."""
    seen: dict[str, object] = {}
    if not os.path.lexists(top):
        return seen
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(top).as_posix()
            if skip(rel):
                continue
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                seen[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(st.st_mode):
                seen[rel] = ("file", path.read_bytes())
            elif stat.S_ISDIR(st.st_mode):
                seen[rel] = ("dir",)
            else:
                seen[rel] = ("special", stat.S_IFMT(st.st_mode))
        dirs[:] = [d for d in dirs if not (Path(folder) / d).is_symlink() and not skip(
            (Path(folder) / d).relative_to(top).as_posix())]
    return seen


def not_ours(rel: str) -> bool:
    """Project entries sfx-pipeline may change: outputs, the lock, the state folder."""
    return rel == IMPORT_DIR or rel.startswith(IMPORT_DIR + "/") or rel.startswith(".sfx-pipeline") \
        or rel == "sfx-pipeline.lock" or rel.startswith(".sfx-pipeline.lock.")


def project_files(world: World) -> dict[str, object]:
    return snapshot(world.root, skip=not_ours)


def outputs(world: World) -> dict[str, object]:
    top = world.root / IMPORT_DIR
    if top.is_symlink():
        return {"": ("link", os.readlink(top))}
    return snapshot(top)


def lock_digests(world: World) -> dict[str, str]:
    lock = world.root / "sfx-pipeline.lock"
    if not lock.is_file() or lock.is_symlink():
        return {}  # (reading a FIFO would wait forever)
    try:
        return {p: e["output_digest"] for p, e in json.loads(lock.read_text())["assets"].items()}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):  # tampered: vouches for nothing
        return {}


# invariants -----------------------------------------------------------------------------


@dataclass
class Before:
    outside: dict[str, object]
    project: dict[str, object]
    outputs: dict[str, object]
    lock: dict[str, str]


def before(world: World) -> Before:
    return Before(snapshot(world.outside), project_files(world), outputs(world), lock_digests(world))


def check(world: World, was: Before, ran: Ran, command: tuple[str, ...], config_broken: bool) -> None:
    said = ran.out + ran.err
    assert "Traceback" not in said and "crashed" not in said, said[-3000:]
    assert snapshot(world.outside) == was.outside, "a file outside the project and cache changed"
    now = project_files(world)
    changed = sorted(rel for rel in set(now) | set(was.project) if now.get(rel) != was.project.get(rel))
    layout = _layout(world)
    made = layout[0] if layout and layout[0] != IMPORT_DIR else None
    assert all(made is not None and _new_output(rel, made, was.project, now) for rel in changed), \
        f"a file sfx-pipeline does not own changed: {changed[:5]}"
    _check_outputs(world, was, command)
    if command[0] == "build" and ran.code in (0, 1, 2) and not _stopped_whole(said, config_broken):
        if layout is None or layout == TEMPLATE_LAYOUT:
            _good_sounds_built(world, was, said)
        else:
            _good_sounds_built_where_planned(world)


def _good_sounds_built(world: World, was: Before, said: str) -> None:
    """Each good sound is a whole WAV where the template's config puts it."""
    for rel in GOOD_OUTPUTS:
        placed = was.outputs.get(rel[len(IMPORT_DIR) + 1:])
        if placed is not None and not _is_wav(placed) or f"would all write {rel}" in said:
            continue  # the case put something there, or a hostile sound claims the same path
        if "" in was.outputs:
            continue  # the import folder itself is a link: nothing may be written through it
        decode((world.root / rel).read_bytes())


def _good_sounds_built_where_planned(world: World) -> None:
    """A config that moved the import or descriptor folders: each good sound the planner
    finds, where it now plans it, is fresh and a whole WAV, unless its plan has an error
    (a path no OS writes) that the build said."""
    survey = Project(world.root, QuietReporter(), memos=False).survey(record=False)
    for a in survey.actions:
        if a.target is None or a.target.spec.descriptor not in GOOD or a.problem is not None:
            continue
        assert a.status == Status.FRESH, f"{a.output}: {a.status} after the build"
        decode((world.root / a.output).read_bytes())


TEMPLATE_LAYOUT = (IMPORT_DIR, ("sfx",))


def _layout(world: World) -> tuple[str, tuple[str, ...]] | None:
    """Where a damaged config puts sounds and reads descriptors, read as a build reads it
    (its engine's default folder included); None for a config that does not load."""
    try:
        loaded = config.load(world.root)
    except (UserError, OSError, ValueError, RecursionError):
        return None
    return loaded.import_dir, tuple(loaded.descriptor_dirs)


def _new_output(rel: str, folder: str, then: dict[str, object], now: dict[str, object]) -> bool:
    """A folder or WAV made where nothing was, inside `folder` (the config's import folder),
    or a folder on the way to it: never a file of the user's changed or removed."""
    if then.get(rel) is not None:
        return False
    entry = now.get(rel)
    if folder.startswith(rel + "/"):
        return entry == ("dir",)
    inside = rel == folder or rel.startswith(folder + "/")
    return inside and (entry == ("dir",) or _is_wav(entry) and rel.endswith(".wav"))


def _is_wav(entry: object) -> bool:
    return isinstance(entry, tuple) and entry[0] == "file" and entry[1][:4] == b"RIFF"


def _stopped_whole(said: str, config_broken: bool) -> bool:
    """Errors that stop a whole build, by design: a config or lock that cannot be trusted."""
    return "sfx-pipeline.lock" in said or (config_broken and "sfx-pipeline.toml" in said)


def _check_outputs(world: World, was: Before, command: tuple[str, ...]) -> None:
    now = outputs(world)
    for rel, then in was.outputs.items():
        after = now.get(rel)
        if then[0] in ("link", "special"):
            assert after == then, f"{rel}: a link or special file was replaced or removed"
        elif then[0] == "file" and after is None and rel.endswith(".wav"):
            full = f"{IMPORT_DIR}/{rel}"
            assert "--prune" in command, f"{rel} was deleted by {command}"
            assert was.lock.get(full) == digest(then[1]) or "--force" in command, f"{rel}: not the locked file"
    for rel, after in now.items():
        if after[0] == "file" and rel.endswith(".wav") and after != was.outputs.get(rel):
            decode(after[1])  # every WAV written is a whole RIFF/WAVE


def converge(world: World, template_world: World) -> None:
    """Undo what the user owns (descriptors, config, lock, things at output paths), keep the
    damaged state folder and cache (they must heal), then build once: status must be 0."""
    shutil.rmtree(world.root / "sfx")
    shutil.copytree(template_world.root / "sfx", world.root / "sfx", symlinks=True)
    for name in ("sfx-pipeline.toml", "sfx-pipeline.lock"):
        target = world.root / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif os.path.lexists(target):
            target.unlink()
        shutil.copy(template_world.root / name, target)
    top = world.root / IMPORT_DIR
    if top.is_symlink():
        top.unlink()
    for path in sorted(top.rglob("*"), reverse=True) if top.is_dir() else []:
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            path.unlink()
        elif path.is_dir() and path.suffix == ".wav":
            shutil.rmtree(path)
    built = run(world, "build", "--force")
    assert "Traceback" not in built.err, built.err
    status = run(world, "status")
    assert status.code == 0, status.out + status.err
