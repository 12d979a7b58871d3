"""`sfx-pipeline.lock`: what was built, from what, committed next to the WAVs.

Deterministic JSON (sorted keys, two-space indent, one field a line) so a review diff
shows exactly which asset changed and why. With the lock and the WAVs committed, a
teammate's first build regenerates nothing: every key and output digest already match.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.config import LOCK_NAME
from sfx_pipeline.errors import UserError

FORMAT = 1
_RECOVER = "delete it: outputs that match their descriptors are recognised again by the next build"


@dataclass(frozen=True)
class LockEntry:
    descriptor: str
    entry: str
    name: str
    backend: str
    placeholder: bool
    model: str
    seed: int
    generation_key: str
    render_key: str
    output_digest: str
    generation: dict[str, Any]  # the fields behind generation_key, so changes can be named
    render: dict[str, Any]  # the fields behind render_key, less the generation key
    batch: dict[str, Any] = field(default_factory=dict)  # how it was generated, when that matters
    accepted: bool = False  # the output is a hand edit kept with `sfx-pipeline accept`

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        if not self.accepted:
            del doc["accepted"]  # written only when true: locks of projects that never accept stay as they were
        return doc


@dataclass
class Lock:
    assets: dict[str, LockEntry] = field(default_factory=dict)  # by output path
    reproducibility: dict[str, str] = field(default_factory=dict)  # backend -> what it promises

    def to_json(self) -> str:
        doc = {
            "format": FORMAT,
            "reproducibility": self.reproducibility,
            "assets": {path: entry.to_json() for path, entry in self.assets.items()},
        }
        return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load(path: Path) -> Lock:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return Lock()
    except UnicodeDecodeError as exc:
        raise UserError(f"{LOCK_NAME} is not UTF-8 text ({exc.reason} at byte {exc.start})",
                        f"restore it from version control, or {_RECOVER}") from exc
    try:
        doc = json.loads(text)
        if doc.get("format") != FORMAT:
            raise ValueError(f"unknown format {doc.get('format')!r}")
        assets = {p: LockEntry(**entry) for p, entry in doc["assets"].items()}
        return Lock(assets, dict(doc.get("reproducibility", {})))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        hint = "resolve the merge conflict in it" if "<<<<<<<" in text else "restore it from version control"
        raise UserError(
            f"{LOCK_NAME} cannot be read: {exc}",
            f"{hint}, or {_RECOVER}",
        ) from exc


def save(path: Path, lock: Lock) -> None:
    data = lock.to_json().encode("utf-8")
    try:
        if path.read_bytes() == data:
            return  # a no-op build leaves the file, and its mtime, alone
    except FileNotFoundError:
        pass
    write_atomic(path, data)
