"""What most commands start from: the project the command line points at."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfx_pipeline.cli.output import Output
    from sfx_pipeline.project import Project


def root(args: argparse.Namespace) -> Path:
    """The folder holding sfx-pipeline.toml: -C DIR, or here or above."""
    from sfx_pipeline.config import find_root

    return find_root(args.project or Path.cwd())


def open_project(args: argparse.Namespace, out: Output) -> Project:
    from sfx_pipeline.project import Project

    return Project(root(args), out.reporter)
