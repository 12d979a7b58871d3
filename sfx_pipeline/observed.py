"""What a later process can check again with a stat: the facts a no-op snapshot keeps.

A plan is made from files; the CLI's no-op fast path (`cli/noop.py`) replays it while every
file it was made from has the same stat. The planner takes each input's stat here before it
reads the file, so an edit made while it reads shows as a changed stat next time.

Only os is imported: the fast path loads this before anything else of the package.
"""

from __future__ import annotations

import os

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
