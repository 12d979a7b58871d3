"""argv → commands. A thin layer over the library: one module per command (commands/),
options shared by several commands defined once (options.py), exit statuses from one table
(exits.py), every result through one Output (output.py), and here the one handler that
turns what the library raises into a message and an exit status.

Importing this package must stay cheap (no numpy, no torch): a command imports its heavy
modules when it runs.

Importing this package loads nothing but `noop`: `main` first offers the command to the
no-op fast path (noop.py), which answers a `status` or `build` that would change nothing
from the last plan's snapshot, or, when only a few descriptors changed, hands them to
delta.py to plan just those; the CLI proper (app.py) is loaded only when both decline.
(The argparse set-up lives in parsing.py: a submodule named `parser` would, once imported,
take the place of the `parser()` function on this package.)
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Sequence

from sfx_pipeline.cli import noop

if TYPE_CHECKING:
    from sfx_pipeline.cli.parsing import Parser

__all__ = ["main", "parser", "Exit"]


def main(argv: Sequence[str] | None = None) -> int:
    answered = fast_path(list(sys.argv[1:] if argv is None else argv))
    if answered is not None:
        return answered
    from sfx_pipeline.cli import app

    return app.main(argv)


def fast_path(argv: list[str]) -> int | None:
    """The exit status of a command the snapshot answers, replayed (noop.py) or, when only
    descriptors changed, patched (delta.py, which imports the planner; delta_build.py for a
    build that may make sounds); None otherwise."""
    answered = noop.try_main(argv)
    if not isinstance(answered, noop.Changed):
        return answered
    if noop.builds(answered.request):
        from sfx_pipeline.cli import delta_build

        return delta_build.answer(answered)
    from sfx_pipeline.cli import delta

    return delta.answer(answered)


def parser() -> Parser:
    from sfx_pipeline.cli import app

    return app.parser()


def __getattr__(name: str) -> Any:
    # `Exit` stays importable from here without loading the CLI at start (PEP 562).
    if name == "Exit":
        from sfx_pipeline.cli.exits import Exit

        return Exit
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
