"""Every exit status the command line uses, in one table, and which exception maps to which.

Signals follow the shell's 128 + N (Ctrl-C 130, a closed pipe 141, SIGTERM 143), as git
and cargo do when a signal ends them. Usage errors are 64 (EX_USAGE in sysexits.h) rather
than argparse's 2, because 2 already means "stale" for `status` and `build`: a typo in an
option must never read as "something needs building".
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    ERROR = 1
    STALE = 2
    USAGE = 64
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143


# What each status means, as `--help` says it.
MEANING: dict[Exit, str] = {
    Exit.OK: "success",
    Exit.ERROR: "an error: a bad descriptor or config, a failed sound, a problem to fix",
    Exit.STALE: "outputs do not match the descriptors (stale, edited by hand or orphaned)",
    Exit.USAGE: "the command line itself is wrong (unknown option, bad value)",
    Exit.INTERRUPTED: "stopped by Ctrl-C (finished sounds stay installed)",
    Exit.BROKEN_PIPE: "whatever read the output stopped reading (e.g. `| head`)",
    Exit.TERMINATED: "stopped by SIGTERM (finished sounds stay installed)",
}

# Shown in every command's --help after its own codes.
ALWAYS = (Exit.USAGE, Exit.INTERRUPTED)


class Terminated(KeyboardInterrupt):
    """SIGTERM (an editor plugin or CI stopping us): unwind like Ctrl-C, so every `finally`
    runs: temp files removed, the lock written."""


def for_interrupt(exc: KeyboardInterrupt) -> Exit:
    return Exit.TERMINATED if isinstance(exc, Terminated) else Exit.INTERRUPTED


def for_counts(counts: dict[str, int]) -> Exit:
    """`status`'s exit from a plan's counts (the no-op snapshot records it too)."""
    if counts["error"]:
        return Exit.ERROR
    return Exit.STALE if counts["stale"] + counts["modified"] + counts["orphan"] else Exit.OK
