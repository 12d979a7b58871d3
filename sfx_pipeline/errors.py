"""The one user-error family. The CLI catches `UserError` and nothing else is shown as
"error: ..." without a traceback; anything else is a bug and is reported as one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class UserError(Exception):
    """Something the user can fix. `hint` says how."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  fix: {self.hint}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file: where exactly, and what to do about it."""

    file: str  # project-relative where possible, so messages are short and stable
    key: str  # dotted key path such as "sound[2].output.fade_in"; "" for the whole file
    message: str
    hint: str = ""
    line: int | None = None
    column: int | None = None

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        text = self.location() + ": "
        if self.key:
            text += f"{self.key}: "
        text += self.message
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "key": self.key,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }


class FileError(UserError):
    """A descriptor or config file with one or more problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(FileError):
    """`sfx-pipeline.toml` is wrong: nothing can be planned until it is fixed."""


class ProjectNotFound(UserError):
    def __init__(self, start: Path) -> None:
        super().__init__(
            f"no sfx-pipeline.toml in {start} or any folder above it",
            "run `sfx-pipeline init .` in your game project, or pass --project DIR",
        )


class ModelUnavailable(UserError):
    """A generator backend cannot run here; the message says which reason and the fix."""

