"""The no-op fast path: a `status` or `build` that would change nothing, answered from a snapshot.

Every plan the CLI makes (`status`, `build`; not `watch`, which replans on every save)
leaves a snapshot in `.sfx-pipeline/noop.json` (written by `snapshot.py`): the stat of every
file the plan was made from (config, lock, descriptors, outputs, whatever the backend choice
looked at) and what each command printed. While all those stats are unchanged the plan is
too, so the next run stats the files, compares, and prints the stored answer: no TOML, no
hashing, no numpy, no torch.
When only descriptors changed (edited, added, removed), it hands them to delta.py, which
plans just those and patches the stored answer. Anything else it is not sure of (an option
it does not know, a missing or damaged snapshot, any other changed stat) sends the command
down the full path, which plans and records a new snapshot.

A stat can miss an edit made within one tick of the file system clock. As git does with
"racily clean" index entries (Documentation/technical/racy-git.txt in git's source), a file
whose mtime was within `RACY_NS` of the recording is also compared by content: the snapshot
keeps the digest of the bytes the plan used, and only those files are read and hashed again.

What the walk does on each system (read from the documentation, not measured on macOS or
Windows; where it cannot vouch for an answer it declines, it never answers differently):

- Linux and macOS: one `os.stat` per descriptor and output; (size, mtime, inode) are what
  the full path recorded. ext4, XFS, Btrfs and APFS keep nanosecond mtimes; HFS+ keeps
  seconds and FAT two seconds, which `RACY_NS` covers. APFS and HFS+ are case-insensitive by
  default: a descriptor renamed only in case declines (its sound's name changes), and an
  output is found whatever its case, as the full path finds it. Linux makes up FAT
  inode numbers when it mounts the volume (a USB stick), so a remount plans in full once.
- Windows: the stat of an `os.scandir` entry has no inode (st_ino is 0, Python's os.DirEntry
  documentation), and its size and times come from the folder's listing, which may not be
  current on NTFS (Microsoft's FindFirstFileW documentation, which says to ask
  GetFileInformationByHandle, as `os.stat` does). So every file is `os.stat`ed, which opens
  it: slower per file than on Linux, and the same answer as the full path. NTFS keeps
  100 ns mtimes in UTC; FAT keeps two-second local times (Microsoft's "File Times"), so a
  daylight saving change plans in full once. Names are case-insensitive, as on macOS. A
  junction (a linked folder that `is_dir(follow_symlinks=False)` calls a folder) declines,
  as a symbolic link to a folder does; a network share whose file IDs change between opens
  always declines.

This module runs before anything else of the package is imported; it uses only os, sys,
json and `observed` (and xxhash when there is a racy file to check). The one file it writes
is a rendered --json document kept beside the snapshot in the state folder (`_keep`), never
through a link.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from sfx_pipeline import __version__
from sfx_pipeline.links import is_link_at, is_linked_folder
from sfx_pipeline.names import CONFIG_NAME, STATE_DIR, SUFFIX
from sfx_pipeline.observed import kind_of, observe, package_at, stat_of

FORMAT = 4
SNAPSHOT = "noop.json"  # in STATE_DIR: what every run reads
DETAILS = "noop-assets.json"  # per-asset documents, read only for --json and --all
# 2 s: FAT's timestamp step, the coarsest in use, and room for a network drive's clock
# being a little off ours. A file modified that close to the recording is checked by content.
RACY_NS = 2_000_000_000
# What else a plan depends on besides files: the cache folder and the model's whereabouts.
ENVIRONMENT = ("SFX_PIPELINE_CACHE", "XDG_CACHE_HOME", "HOME", "LOCALAPPDATA", "HF_HOME", "HF_HUB_CACHE",
               "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "AUDIOCRAFT_CACHE_DIR", "CUDA_VISIBLE_DEVICES")
ENGINE_MARKERS = ("project.godot", "Assets", "ProjectSettings")  # what engine detection looks at


# A descriptor's stat now, or None where it was removed: what changed since the snapshot.
Changes = dict[str, "list[int] | None"]


def context() -> list[str | None]:
    """A snapshot is used only by the same version of sfx-pipeline, interpreter and environment."""
    return [__version__, sys.executable, sys.version, *(os.environ.get(name) for name in ENVIRONMENT)]


class _Unusual(Exception):
    """Something the full scan reports as a problem: let it."""


def _walk(folder: str, found: list[str]) -> None:
    """The descriptor files scan.find finds, by the same rules (hidden names skipped, linked
    folders not followed); anything it would report as a problem raises _Unusual instead."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        raise _Unusual(folder) from exc
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if not name.isascii():
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                raise _Unusual(entry.path) from None
        if entry.is_dir(follow_symlinks=False):
            if is_linked_folder(entry):
                raise _Unusual(entry.path)  # a linked folder that Python before 3.12 calls a folder
            _walk(entry.path, found)
        elif name.endswith(SUFFIX):
            found.append(entry.path)
        elif entry.is_symlink():
            raise _Unusual(entry.path)  # perhaps a link to a folder, which scan names


# the fast path ----------------------------------------------------------------------------


# What reading a damaged snapshot can raise (or a walk into a loop of folders).
DAMAGED = (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError)


@dataclass
class Changed:
    """Only descriptors changed since the snapshot: what delta.py needs to plan just those."""

    root: str
    snap: dict[str, Any]
    request: dict[str, Any]
    changed: Changes
    started: float  # perf_counter, for the time a build reports
    started_ns: int  # time_ns, against which files are racy


def try_main(argv: list[str]) -> int | Changed | None:
    """Run `status` or `build` from the snapshot; None when the full path must run instead,
    and what changed when only descriptors did (cli/__init__.py hands that to delta.py)."""
    request = _request(argv)
    if request is None:
        return None
    started, started_ns = time.perf_counter(), time.time_ns()
    try:
        root = _find_root(request.get("project"))
        if root is None:
            return None
        snap = _snapshot(root)
        if snap is None or not request.get("json") and _coloured():
            return None  # the snapshot keeps plain text; a terminal that wants colour gets the full path
        changed = build_changes(root, snap) if builds(request) else _changes(root, snap)
        if changed is None:
            return None
        if changed:
            return Changed(root, snap, request, changed, started, started_ns)
        return replay(root, snap, request, started)
    except DAMAGED:
        return None  # a damaged snapshot (or a folder loop) is no snapshot: the full path decides


def builds(request: dict[str, Any]) -> bool:
    """Is the request a build that may make sounds, not a dry run?"""
    return bool(request["command"] == "build" and not request.get("dry_run"))


def _request(argv: list[str]) -> dict[str, Any] | None:
    """The few options the fast path understands; any other sends the command to argparse."""
    if not argv or argv[0] not in ("status", "build"):
        return None
    flags = {"status": {"--json": "json", "--all": "all", "-a": "all"},
             "build": {"--json": "json", "--dry-run": "dry_run", "-n": "dry_run"}}[argv[0]]
    request: dict[str, Any] = {"command": argv[0]}
    rest = argv[1:]
    while rest:
        arg = rest.pop(0)
        if arg in flags:
            request[flags[arg]] = True
        elif arg in ("--project", "-C") and rest and not rest[0].startswith("-"):
            request["project"] = rest.pop(0)
        elif arg.startswith("--project=") and len(arg) > len("--project="):
            request["project"] = arg[len("--project="):]
        else:
            return None
    return request


def _find_root(project: str | None) -> str | None:
    """As config.find_root: the nearest folder at or above the start holding the config."""
    folder = os.path.realpath(project or os.getcwd())
    while True:
        if os.path.isfile(os.path.join(folder, CONFIG_NAME)):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _snapshot(root: str) -> dict[str, Any] | None:
    """The snapshot left in this project, if this version, interpreter and environment made it."""
    try:
        with open(os.path.join(root, STATE_DIR, SNAPSHOT), "rb") as stream:
            snap = json.loads(stream.read())
    except (OSError, ValueError):
        return None
    if not isinstance(snap, dict) or snap.get("format") != FORMAT or snap.get("root") != root:
        return None
    return snap if snap.get("context") == context() else None


def build_changes(root: str, snap: dict[str, Any]) -> Changes | None:
    """What a build plans again: the descriptors that changed since the snapshot, and those
    it says still have work (`to_build`: a `status` saw their edit first). None when anything
    else changed, or there is work the snapshot cannot put down to descriptors."""
    changed = _changes(root, snap)
    if changed is None or snap["build"] is not None:
        return changed
    if snap["to_build"] is None:
        return None
    changed.update((shown, snap["descriptors"][shown]) for shown in snap["to_build"] if shown not in changed)
    return changed or None


def snapshot_of(root: str) -> dict[str, Any] | None:
    """The snapshot left in this project, if this version and environment made it; None
    when there is none or it is damaged."""
    try:
        return _snapshot(root)
    except DAMAGED:
        return None


def _changes(root: str, snap: dict[str, Any]) -> Changes | None:
    """The descriptors that changed since the snapshot (none: nothing did); None when
    anything else did, or a walk finds what the full path reports."""
    seen: dict[str, int] = {}  # mtime of each racy file, as stat'ed now
    changed: Changes = {}
    prefix = os.path.join(root, "")
    # The descriptors first: an edited one is the usual change.
    if not _same_descriptors(prefix, snap, seen, changed) or not _unchanged(prefix, snap, seen):
        return None
    return changed if _same_content(root, snap, seen, changed) else None


def _unchanged(prefix: str, snap: dict[str, Any], seen: dict[str, int]) -> bool:
    racy = snap["racy"]
    stat = os.stat
    for relative, recorded in snap["files"].items():  # the hot loop: one stat per output
        try:
            st = stat(prefix + relative)  # a plain concatenation: os.path.join costs as much as the stat
        except (OSError, ValueError):
            if recorded is not None:
                return False
            continue
        if recorded is None or [st.st_size, st.st_mtime_ns, st.st_ino] != recorded:
            return False
        if relative in racy:
            seen[relative] = st.st_mtime_ns
    for path, recorded in snap["elsewhere"].items():
        if stat_of(path) != recorded:
            return False
    for relative, recorded_kind in snap["kinds"].items():
        if kind_of(prefix + relative) != recorded_kind:
            return False
    if any(package_at(name) != where for name, where in snap["packages"].items()):
        return False  # AudioGen's packages installed, removed, or found elsewhere
    probe = snap["probe"]
    return probe is None or observe(probe["watch"]) == probe["facts"]  # what torch's GPU answer rests on


def _same_descriptors(prefix: str, snap: dict[str, Any], seen: dict[str, int], changed: Changes) -> bool:
    """Walk the descriptor folders; each descriptor edited, added or removed goes in `changed`.
    False when the walk meets what the full path reports (a linked folder...)."""
    recorded_descriptors, racy = snap["descriptors"], snap["racy"]
    found: list[str] = []
    try:
        for folder in snap["descriptor_dirs"]:
            _walk(prefix + folder, found)
    except _Unusual:
        return False
    cut, stat = len(prefix), os.stat
    for path in found:
        st = stat(path)
        relative = path[cut:].replace(os.sep, "/")
        now = [st.st_size, st.st_mtime_ns, st.st_ino]
        if now != recorded_descriptors.get(relative):
            changed[relative] = now
        elif relative in racy:
            seen[relative] = st.st_mtime_ns
    kept = len(found) - sum(1 for relative in changed if relative not in recorded_descriptors)
    if kept > len(recorded_descriptors):
        return False  # the same file found twice: the full path decides
    if kept < len(recorded_descriptors):
        now_found = {path[cut:].replace(os.sep, "/") for path in found}
        changed.update((relative, None) for relative in recorded_descriptors if relative not in now_found)
    return True


def _same_content(root: str, snap: dict[str, Any], seen: dict[str, int], changed: Changes) -> bool:
    """Racy files: read and hash them, and once they are old enough, stop doing so. A racy
    descriptor whose bytes changed goes in `changed`; any other racy file that did declines."""
    racy = snap["racy"]
    if not racy:
        return True
    from sfx_pipeline.hashing import digest

    for relative, recorded in racy.items():
        if relative in changed:
            continue
        path = os.path.join(root, relative)
        with open(path, "rb") as stream:
            if digest(stream.read()) == recorded:
                continue
        if relative not in snap["descriptors"]:
            return False
        st = os.stat(path)
        changed[relative] = [st.st_size, st.st_mtime_ns, st.st_ino]
    now = time.time_ns()
    if not changed and all(seen.get(relative, now) < now - RACY_NS for relative in racy):
        _settle(root, snap)
    return True


def _settle(root: str, snap: dict[str, Any]) -> None:
    """The racy files hold what the plan read and are now too old for an edit to hide behind
    an unchanged stat: from here on their stat is enough (git refreshes its index the same way)."""
    snap["racy"] = {}
    _keep(os.path.join(root, STATE_DIR, SNAPSHOT), json.dumps(snap))  # (if it fails: checked by content again)


# replaying --------------------------------------------------------------------------------


def replay(root: str, snap: dict[str, Any], request: dict[str, Any], started: float) -> int | None:
    """Print what the snapshot says `request` prints; None when it holds no answer (a build
    with work to do)."""
    if request["command"] == "status":
        return _status(root, snap, request)
    key = "dry_run" if request.get("dry_run") else "build"
    if snap[key] is None:
        return None  # this build has work to do
    return _build(root, snap, key, request, started)


def _status(root: str, snap: dict[str, Any], request: dict[str, Any]) -> int:
    status = snap["status"]
    if request.get("json"):
        _print_json(root, snap, "status", lambda details: {"counts": status["counts"],
                                                           "assets": _listed(details, "status", fresh_status)})
        return int(status["exit"])
    lines = status["lines"]
    if request.get("all"):
        lines = _listed(details_of(root, snap), "status_lines", fresh_line)
    print("\n".join([*lines, status["summary"]]))
    return int(status["exit"])


def _build(root: str, snap: dict[str, Any], key: str, request: dict[str, Any], started: float) -> int:
    build = snap[key]
    note = snap["auto_note"] if build["produced"] else ""  # what `auto` chose, as a build says it
    if request.get("json"):
        def document(details: dict[str, Any]) -> dict[str, Any]:
            return {"counts": build["counts"], "seconds": _SECONDS, "audio_seconds_generated": 0.0,
                    "assets": _listed(details, key, fresh_result), "problems": details["problems"],
                    "messages": [note] if note else [], "exit_code": build["exit"]}

        _print_json(root, snap, key, document, round(time.perf_counter() - started, 3))
        return int(build["exit"])
    summary = build["head"] + (build["tail"] % (time.perf_counter() - started) if build["tail"] else "")
    if note:
        print(note, file=sys.stderr, flush=True)
    print("\n".join([*build["lines"], summary]))
    return int(build["exit"])


_SECONDS = -1.5  # stands for the run's own time in a rendered document; no other value is negative
_SECONDS_MARK = f'"seconds": {_SECONDS}'  # where the rendered text says it


def _print_json(root: str, snap: dict[str, Any], variant: str, document: Any, seconds: float = 0.0) -> None:
    """Print a command's --json document. Rendered with indent=2 (pure-Python json, the slow
    part) on its first replay, then kept as text beside the snapshot for the next ones."""
    path = os.path.join(root, STATE_DIR, f"noop-{variant}.txt")
    try:
        with open(path, encoding="utf-8") as stream:
            header, text = stream.read().split("\n", 1)
        ident, cut = header.rsplit(" ", 1)
        if ident != snap["details"]:
            raise ValueError("rendered for another snapshot")
    except (OSError, ValueError):
        text = json.dumps(document(details_of(root, snap)), indent=2)
        cut = str(text.find(_SECONDS_MARK))
        _keep(path, f"{snap['details']} {cut}\n{text}")
    at = int(cut)
    if at >= 0:
        text = text[:at] + f'"seconds": {json.dumps(seconds)}' + text[at + len(_SECONDS_MARK):]
    print(text)


def _keep(path: str, text: str) -> None:
    from pathlib import Path

    from sfx_pipeline.atomic import write_atomic

    if is_link_at(os.path.dirname(path)):
        return  # a state folder replaced by a link: never write through it (rendered again next time)
    try:
        write_atomic(Path(path), text.encode("utf-8"), durable=False)
    except OSError:
        pass  # rendered again next time


def _coloured() -> bool:
    from sfx_pipeline.cli.output import use_color

    return use_color("auto", sys.stdout)


# What each command prints of a fresh asset, which most of a project is, follows from five
# fields: the details keep them once per asset (`fresh`: output, name, descriptor, backend,
# placeholder), and an int in a command's list stands for what these make of that row.
# `snapshot.py` writes an int only where they make exactly what the full path printed.


def fresh_status(row: list[Any]) -> dict[str, Any]:
    """An asset's document in `status --json` (plan.Action.to_json)."""
    output, name, descriptor, backend, placeholder = row
    return {"output": output, "status": "fresh", "reasons": [], "name": name, "descriptor": descriptor,
            "backend": backend, "placeholder": placeholder}


def fresh_result(row: list[Any]) -> dict[str, Any]:
    """An asset's document in `build --json` (build.Result.to_json)."""
    output, name, _, backend, placeholder = row
    return {"output": output, "outcome": "fresh", "reasons": [], "name": name, "backend": backend,
            "placeholder": placeholder, "message": ""}


def fresh_line(row: list[Any]) -> str:
    """An asset's line in `status --all` (render.status_line)."""
    return f"fresh     {row[0]}" + (" [placeholder]" if row[4] else "")


def _listed(details: dict[str, Any], key: str, form: Callable[[list[Any]], Any]) -> list[Any]:
    fresh = details["fresh"]
    return [form(fresh[item]) if type(item) is int else item for item in details[key]]


def details_of(root: str, snap: dict[str, Any]) -> dict[str, Any]:
    with open(os.path.join(root, STATE_DIR, DETAILS), "rb") as stream:
        details = json.loads(stream.read())
    if not isinstance(details, dict) or details.get("id") != snap["details"]:
        raise ValueError("the details belong to another snapshot")
    return details
