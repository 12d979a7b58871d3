"""The states an asset can be in: as planned (`Status`) and as a build left it (`Outcome`).

Both are `str` enums: a member equals its word ("fresh" == Status.FRESH), prints as it, and
goes into JSON as it, so `status --json`, `build --json` and the text output keep their words.
"""

from __future__ import annotations

import sys
from enum import Enum

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - exercised on 3.10 only

    class StrEnum(str, Enum):
        """enum.StrEnum of Python 3.11: str() and format() give the value."""

        def __str__(self) -> str:
            return str(self.value)


__all__ = ["Outcome", "Status", "StrEnum"]


class Status(StrEnum):
    """What the plan says about one asset."""

    FRESH = "fresh"  # the output is what the descriptor describes
    STALE = "stale"  # to build: new, changed, missing, or an earlier build's file
    PENDING = "pending"  # stale, but its backend cannot run here: the sound it has is kept
    MODIFIED = "modified"  # edited by hand or not ours: kept unless forced
    ORPHAN = "orphan"  # in the lock, but no descriptor defines it any more
    ERROR = "error"  # its descriptor has errors


class Outcome(StrEnum):
    """What a build did with one asset."""

    GENERATED = "generated"  # new audio from a backend
    CACHED = "cached"  # audio or the finished WAV came from the cache
    FRESH = "fresh"  # nothing to do
    KEPT = "kept"  # left as it is (edited by hand, pending, or not ours to remove)
    FAILED = "failed"
    PRUNED = "pruned"
    ORPHAN = "orphan"  # left in place; --prune removes it
    ERROR = "error"
    WOULD_BUILD = "would build"  # --dry-run
    WOULD_PRUNE = "would prune"  # --dry-run --prune
