"""What counts as a link: never written, deleted or walked through.

A symbolic link on every OS, and on Windows also a junction (a folder that stands for
another path, made by `mklink /J` or by some installers and sync tools). Python reports a
junction as a folder: `stat.S_ISLNK` is false for it and, before Python 3.12, so is
`DirEntry.is_symlink`, while `os.lstat` sets `st_reparse_tag` (docs.python.org, os.stat_result).
Only os, stat and sys are imported: the no-op fast path uses this too.
"""

from __future__ import annotations

import os
import stat

# IsReparseTagNameSurrogate (winnt.h): the reparse point stands for another name, as a
# junction (IO_REPARSE_TAG_MOUNT_POINT) or a symbolic link does. Cloud-file placeholders
# (OneDrive) and deduplicated files are reparse points too, but not name surrogates: they
# are the file itself.
NAME_SURROGATE = 0x20000000


def is_link(st: os.stat_result) -> bool:
    """Whether an `os.lstat` result is a link (see above)."""
    return stat.S_ISLNK(st.st_mode) or bool(getattr(st, "st_reparse_tag", 0) & NAME_SURROGATE)


def is_link_at(path: str | os.PathLike[str]) -> bool:
    """Whether a link is at `path` (False when nothing is)."""
    try:
        return is_link(os.lstat(path))
    except (OSError, ValueError):
        return False


def is_linked_folder(entry: os.DirEntry[str]) -> bool:
    """A folder entry that is a junction. Free to ask: on Windows a DirEntry's lstat comes
    with the listing; elsewhere `is_dir(follow_symlinks=False)` already excludes links."""
    is_junction = getattr(entry, "is_junction", None)  # Python 3.12+
    if is_junction is not None and is_junction():
        return True
    return os.name == "nt" and is_link(entry.stat(follow_symlinks=False))
