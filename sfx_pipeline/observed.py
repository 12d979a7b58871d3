"""What a later process can check again with a stat: the facts a no-op snapshot keeps.

A plan is made from files; the CLI's no-op fast path (`cli/noop.py`) replays it while every
file it was made from has the same stat. The planner takes each input's stat here before it
reads the file, so an edit made while it reads shows as a changed stat next time.

Besides stats, a few facts a stat cannot give (which packages import from where, a kernel
report under /proc, the names in a folder) are kept as a `Watch` (what to look at) and its
`Facts` (what was there), for the same kind of comparison.

Only os and typing are imported: the fast path loads this before anything else of the package.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

Stat = list[int]  # [size, mtime_ns, inode]: what git's index compares too


def stat_of(path: str) -> Stat | None:
    """The file's [size, mtime_ns, inode], or None when nothing is there."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def kind_of(path: str) -> str:
    return "dir" if os.path.isdir(path) else "file" if os.path.isfile(path) else ""



def listing(folder: str, prefix: str = "", depth: int = 6) -> list[str] | None:
    """The names under `folder` whose first part starts with `prefix`, folders walked (links
    not followed) `depth` levels down, as sorted "a/b" paths; None when there is no folder.
    It shows what comes and goes there, not what a file holds."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    found: list[str] = []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        found.append(entry.name)
        if depth > 1 and entry.is_dir(follow_symlinks=False):
            found += [f"{entry.name}/{below}" for below in listing(entry.path, "", depth - 1) or []]
    return sorted(found)


def text_of(path: str, limit: int = 4096) -> str | None:
    """A small file's text (a kernel's report under /proc, whose stat says nothing), or None."""
    try:
        with open(path, "rb") as stream:
            return stream.read(limit).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None


def package_at(name: str) -> str | None:
    """Where `import name` would load the package from, without importing it; None: nowhere."""
    from importlib.util import find_spec

    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    return spec.origin or os.pathsep.join(spec.submodule_search_locations or ())  # a namespace package: its folders


if TYPE_CHECKING:  # for the type checker only: making these classes costs the fast path a millisecond
    from typing import TypedDict

    class Watch(TypedDict):
        """What to look at again: environment variables, paths to stat, folders to list (each as
        [folder, prefix], see `listing`) and small files to read."""

        env: list[str]
        stat: list[str]
        listed: list[list[str]]
        read: list[str]

    class Facts(TypedDict):
        """A Watch observed, in the Watch's order: JSON as it is, so a later process compares
        `observe(watch) == facts` and nothing else."""

        env: list[str | None]
        stat: list[Stat | None]
        listed: list[list[str] | None]
        read: list[str | None]


def watch(env: tuple[str, ...] = (), stat: tuple[str, ...] = (), listed: tuple[tuple[str, str], ...] = (),
          read: tuple[str, ...] = ()) -> Watch:
    return {"env": list(env), "stat": list(stat), "listed": [list(pair) for pair in listed], "read": list(read)}


def observe(what: Watch) -> Facts:
    return {"env": [os.environ.get(name) for name in what["env"]],
            "stat": [stat_of(path) for path in what["stat"]],
            "listed": [listing(folder, prefix) for folder, prefix in what["listed"]],
            "read": [text_of(path) for path in what["read"]]}
