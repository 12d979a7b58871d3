"""Start the server: read the token, load the project's generator, listen.

The port opens at once, so `/health` answers while the model loads; `/ready` turns 200 when
it is loaded. If it cannot load, the server says why and exits 1. uvicorn (the reference
ASGI server, by Starlette's authors) handles SIGINT and SIGTERM by finishing the requests
in progress and closing.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import stat
from pathlib import Path

from sfx_pipeline.config import ProjectConfig, find_root, load
from sfx_pipeline.errors import UserError
from sfx_pipeline.generators.base import Context
from sfx_pipeline.remote.wire import SERVE_TOKEN_ENV
from sfx_pipeline.report import Reporter
from sfx_pipeline.serve.engine import Engine
from sfx_pipeline.serve.service import Limits, Service
from sfx_pipeline.serve.store import EnvelopeStore

MIN_TOKEN = 16  # characters; `python -c "import secrets; print(secrets.token_urlsafe(32))"` gives 43
TOKEN_FIX = (f'export {SERVE_TOKEN_ENV}="$(python -c \'import secrets; print(secrets.token_urlsafe(32))\')", '
             "or write such a token to a file and pass --token-file FILE")


def serve(args: argparse.Namespace, reporter: Reporter) -> int:
    try:
        import uvicorn

        from sfx_pipeline.serve.app import make_app
    except ImportError as exc:  # a plain install: the server's packages come with the serve extra
        raise UserError(f"sfx-pipeline serve needs {exc.name}, which its serve extra installs",
                        'from a clone: pip install "./sfx-pipeline[serve,audiogen]" '
                        "(see the README's team set-up)") from exc

    config = load(find_root(args.project or Path.cwd()))
    token = read_token(args.token_file, reporter)
    limits = limits_from(args)
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UserError("--tls-cert and --tls-key go together", "pass both, or neither")
    service = make_service(config, token, limits, reporter)
    server = uvicorn.Server(uvicorn.Config(
        make_app(service), host=args.host, port=args.port, log_level="info", access_log=True,
        ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
        ssl_keyfile=str(args.tls_key) if args.tls_key else None,
    ))
    service.engine.on_failure = lambda: setattr(server, "should_exit", True)
    scheme = "https" if args.tls_cert else "http"
    reporter.line(f"serve: {config.generator['model']} ({config.generator['decoder']} decoder, device "
                  f"{config.generator['device']}) at {scheme}://{args.host}:{args.port}; loading the model...")
    if not _loopback(args.host) and not args.tls_cert:
        reporter.line("warning: serve is listening beyond this machine without TLS: the token and sounds cross "
                      "the network in clear; use a trusted network or VPN, an SSH tunnel, or --tls-cert/--tls-key")
    service.engine.start()
    try:
        server.run()
    except KeyboardInterrupt:
        pass  # uvicorn has already shut down cleanly; it re-raises the signal it handled, for its caller
    reporter.line("serve: stopped")
    return 1 if service.engine.load_error else 0


def make_service(config: ProjectConfig, token: str, limits: Limits, reporter: Reporter) -> Service:
    """The service for `config`'s [generator]; its engine is not started yet."""
    from sfx_pipeline.generators.audiogen.backend import AudioGenGenerator

    settings = config.generator
    generator = AudioGenGenerator(Context(settings, config.cache_dir, reporter), str(settings["model"]))
    generator.identity()  # now, so a model that cannot be named fails before the port opens
    return Service(Engine(generator, reporter), EnvelopeStore(config.cache_dir / "cas"), token, limits)


def read_token(path: Path | None, reporter: Reporter) -> str:
    if path is not None:
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UserError(f"cannot read the token file {path}: {exc.strerror}", TOKEN_FIX) from None
        _warn_if_shared(path, reporter)
    else:
        token = os.environ.get(SERVE_TOKEN_ENV, "").strip()
        if not token:
            raise UserError(f"no token: {SERVE_TOKEN_ENV} is not set and no --token-file was given", TOKEN_FIX)
    if len(token) < MIN_TOKEN:
        raise UserError(f"the token is {len(token)} characters; at least {MIN_TOKEN} are needed", TOKEN_FIX)
    return token


def _warn_if_shared(path: Path, reporter: Reporter) -> None:
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        reporter.line(f"serve: {path} can be read by other users of this machine; chmod 600 {path}")


def limits_from(args: argparse.Namespace) -> Limits:
    if not 0.5 <= args.max_seconds <= 30:
        raise UserError(f"--max-seconds {args.max_seconds:g} is out of range", "give 0.5 to 30 seconds")
    if not 1 <= args.max_in_flight <= 4096:
        raise UserError(f"--max-in-flight {args.max_in_flight} is out of range", "give 1 to 4096")
    return Limits(max_seconds=args.max_seconds, max_in_flight=args.max_in_flight, cas=args.cas)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
