"""What counts as a link: symbolic links everywhere, and on Windows junctions too.

Junctions cannot be made on this OS: their `os.lstat` results are stood in for below, with
the fields Windows fills in (st_reparse_tag, docs.python.org os.stat_result), and each test
says so.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sfx_pipeline.links import is_link, is_link_at

IO_REPARSE_TAG_MOUNT_POINT = 0xA0000003  # a junction (winnt.h)
IO_REPARSE_TAG_SYMLINK = 0xA000000C
IO_REPARSE_TAG_CLOUD_6 = 0x9000601A  # a OneDrive placeholder: the file itself, not another name


def windows_lstat(mode: int, tag: int) -> Any:
    """A stand-in for what os.lstat gives on Windows (it cannot be produced here)."""
    return SimpleNamespace(st_mode=mode, st_reparse_tag=tag)


def test_a_symbolic_link_is_a_link_and_what_it_points_to_is_not(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (tmp_path / "link").symlink_to(folder, target_is_directory=True)
    assert is_link(os.lstat(tmp_path / "link")) and is_link_at(tmp_path / "link")
    assert not is_link_at(folder) and not is_link_at(tmp_path / "nothing")


@pytest.mark.parametrize(("tag", "linked"), [(IO_REPARSE_TAG_MOUNT_POINT, True), (IO_REPARSE_TAG_SYMLINK, True),
                                             (IO_REPARSE_TAG_CLOUD_6, False), (0, False)])
def test_a_junction_is_a_link_though_python_calls_it_a_folder(tag: int, linked: bool) -> None:
    # stand-in stat results: junctions exist only on Windows
    assert is_link(windows_lstat(stat.S_IFDIR | 0o755, tag)) is linked
