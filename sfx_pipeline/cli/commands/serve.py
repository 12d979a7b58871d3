"""`sfx-pipeline serve`: one warm AudioGen for the whole team, over HTTP."""

from __future__ import annotations

import argparse
from pathlib import Path

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.exits import Exit
from sfx_pipeline.cli.output import Output
from sfx_pipeline.remote.names import DEFAULT_PORT, SERVE_TOKEN_ENV


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for the network)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--token-file", type=Path, metavar="FILE",
                   help=f"read the token from FILE instead of {SERVE_TOKEN_ENV}")
    p.add_argument("--max-seconds", type=float, default=10.0, metavar="S",
                   help="longest sound served, 0.5 to 30 (default 10: AudioGen's window; longer ones decode alone)")
    p.add_argument("--max-in-flight", type=int, default=64, metavar="N",
                   help="sounds one client may have in flight at once (default 64)")
    p.add_argument("--cas", choices=("read-write", "read-only", "off"), default="read-write",
                   help="the shared cache at /cas/ (default read-write)")
    p.add_argument("--tls-cert", type=Path, metavar="PEM", help="serve HTTPS with this certificate chain")
    p.add_argument("--tls-key", type=Path, metavar="PEM", help="and this private key")


def _run(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.serve.main import serve

    return serve(args, out.reporter)


COMMAND = Command(
    name="serve",
    summary="serve this project's AudioGen model to the team's builds over HTTP",
    description="Load the model [generator] names (model, device, decoder) once and generate sounds for every "
                'build that sets backend = "remote" (or "auto" with a url), batching all clients\' sounds '
                f"together; also serve the shared cache at /cas/. The token comes from {SERVE_TOKEN_ENV} or "
                "--token-file. Ctrl-C or SIGTERM stops it.",
    run=_run,
    arguments=_arguments,
    exits=(Exit.OK, Exit.ERROR),
    example="sfx-pipeline serve --host 0.0.0.0 --token-file ~/.sfx-token",
)
