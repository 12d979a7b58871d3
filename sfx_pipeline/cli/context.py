"""What most commands start from: the project the command line points at."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfx_pipeline.cli.output import Output
    from sfx_pipeline.descriptor import Parsed
    from sfx_pipeline.observed import Stat
    from sfx_pipeline.project import Project, Survey


def root(args: argparse.Namespace) -> Path:
    """The folder holding sfx-pipeline.toml: -C DIR, or here or above."""
    from sfx_pipeline.config import find_root

    return find_root(args.project or Path.cwd())


def open_project(args: argparse.Namespace, out: Output) -> Project:
    """The project, leaving a snapshot of each plan for the next run's no-op fast path."""
    from sfx_pipeline.project import Project

    project = Project(root(args), out.reporter)
    project.recorder = record_snapshot
    return project


def record_snapshot(project: Project, survey: Survey, parsed: Parsed, lock_stat: Stat | None, started_ns: int) -> None:
    from sfx_pipeline.cli import snapshot  # loaded once there is a plan: it renders with build's outcomes

    snapshot.record(project, survey, parsed, lock_stat, started_ns)
