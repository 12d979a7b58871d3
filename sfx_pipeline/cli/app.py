"""The command line proper: the parser, the one handler that turns what the library raises
into a message and an exit status, and SIGTERM. `cli/__init__.py` imports it only once the
no-op fast path has declined the command."""

from __future__ import annotations

import os
import signal
import sys
import threading
import traceback
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence

from sfx_pipeline import __version__
from sfx_pipeline.cli import options
from sfx_pipeline.cli.commands import COMMANDS
from sfx_pipeline.cli.exits import Exit, Terminated, for_interrupt
from sfx_pipeline.cli.output import Output
from sfx_pipeline.cli.parsing import Parser, build
from sfx_pipeline.errors import UserError


def parser() -> Parser:
    return build(COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    if "_ARGCOMPLETE" in os.environ:  # a shell asking for completions (`sfx-pipeline completion`)
        import argcomplete

        argcomplete.autocomplete(p)  # prints the candidates and exits
    args = p.parse_args(argv)
    if not hasattr(args, "command"):
        p.print_help()
        return Exit.OK
    problem = options.resolve(args, args.takes)
    if problem:
        args.command_parser.error(problem)
    out = Output(json_mode=args.json, quiet=args.quiet, verbose=args.verbose, color=args.color)
    return run_guarded(out, lambda: int(args.command.run(args, out)))


def run_guarded(out: Output, body: Callable[[], int]) -> int:
    """Run a command's body as every command runs: SIGTERM unwinds it, and what it raises
    becomes a message and an exit status (cli/delta.py runs a patched build this way too)."""
    with _sigterm_unwinds():
        return _run(body, out)


def _run(body: Callable[[], int], out: Output) -> int:
    try:
        code = body()
        out.flush()  # a closed pipe shows here, not at exit where nothing can catch it
        return code
    except UserError as exc:
        out.error(exc.message, exc.hint)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        print("\ninterrupted: finished assets are installed and in the lock; run the command again to go on",
              file=sys.stderr)
        return for_interrupt(exc)
    except BrokenPipeError:
        # The reader went away (`| head -1`). git and cargo let SIGPIPE end them silently,
        # so the shell sees 128 + 13; the same here, without a traceback. Whatever was built
        # is installed and in the lock already: builds print only once they are done.
        _silence_stdout()
        return Exit.BROKEN_PIPE
    except Exception:  # noqa: BLE001 - a bug, not a user mistake: say so and show where
        print(f"sfx-pipeline {__version__} crashed; this is a bug, please report it with this output:",
              file=sys.stderr)
        traceback.print_exc()
        return Exit.ERROR


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush of what is still
    buffered cannot fail again (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file: nothing will flush to it
        pass


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if on_main_thread else None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
