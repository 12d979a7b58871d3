"""argv → commands. A thin layer: the library raises UserError, `main` turns it into a
message and an exit code (0 ok, 1 error, 2 stale for `status`, 130 Ctrl-C)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Callable, Sequence

from sfx_pipeline import __version__, hooks, show, watch
from sfx_pipeline.errors import UserError
from sfx_pipeline.report import QuietReporter, Reporter, for_stream

EXIT_OK, EXIT_ERROR, EXIT_STALE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM (an editor plugin or CI stopping us): unwind like Ctrl-C, so every `finally`
    runs: temp files removed, the lock written."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()

Command = Callable[[argparse.Namespace, Reporter], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_OK
    reporter: Reporter = QuietReporter() if getattr(args, "json", False) else for_stream(sys.stderr)
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if on_main_thread else None
    try:
        return args.run(args, reporter)
    except UserError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": exc.message, "hint": exc.hint}, indent=2))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        print("\ninterrupted: finished assets are installed and in the lock; run the command again to go on",
              file=sys.stderr)
        return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED
    except Exception:  # a bug, not a user mistake: say so and show where
        print(f"sfx-pipeline {__version__} crashed; this is a bug, please report it with this output:",
              file=sys.stderr)
        traceback.print_exc()
        return EXIT_ERROR
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sfx-pipeline",
        description="Turn *.sfx.toml descriptors into finished game sound effects.",
    )
    parser.add_argument("--version", action="version", version=f"sfx-pipeline {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    for register in _COMMANDS:
        register(commands)
    return parser


def _project_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", "-C", type=Path, default=None, metavar="DIR",
                   help="the game project (default: the folder holding sfx-pipeline.toml, at or above here)")


def _open_project(args: argparse.Namespace, reporter: Reporter):
    from sfx_pipeline.config import find_root
    from sfx_pipeline.project import Project

    return Project(find_root(args.project or Path.cwd()), reporter)


# status -----------------------------------------------------------------------------------

def _status_cmd(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("status", help="what is fresh, stale, orphaned or broken, and why")
    _project_arg(p)
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--all", "-a", action="store_true", help="list fresh assets too")
    p.set_defaults(run=_status)


def _status(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline.plan import summary

    project = _open_project(args, reporter)
    survey = project.survey()
    counts = summary(survey.actions)
    if args.json:
        print(json.dumps({"counts": counts, "assets": [a.to_json() for a in survey.actions]}, indent=2))
    else:
        show.status(survey.actions, counts, args.all)
    if counts["error"]:
        return EXIT_ERROR
    return EXIT_STALE if counts["stale"] + counts["modified"] + counts["orphan"] else EXIT_OK


# build ------------------------------------------------------------------------------------

def _build_cmd(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("build", help="generate, render and install every stale sound")
    _project_arg(p)
    p.add_argument("--dry-run", "-n", action="store_true", help="show what would be built, change nothing")
    p.add_argument("--json", action="store_true", help="print one JSON document with counts and per-asset results")
    p.add_argument("--force", action="store_true", help="also replace outputs that were edited by hand")
    p.add_argument("--prune", action="store_true", help="remove outputs whose descriptor is gone")
    p.add_argument("--only", action="append", default=[], metavar="GLOB",
                   help="only assets whose name, output or descriptor path matches (repeatable)")
    p.set_defaults(run=_build)


def _build(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline.build import Options, build

    project = _open_project(args, reporter)
    options = Options(dry_run=args.dry_run, force=args.force, prune=args.prune, only=args.only)
    report = build(project, options)
    if args.json:
        print(json.dumps(show.build_json(report, reporter), indent=2))
    else:
        show.build(report, args.dry_run)
    return report.exit_code


# init -------------------------------------------------------------------------------------

def _init_cmd(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("init", help="set up a game project with a config and example descriptors")
    p.add_argument("dir", type=Path, nargs="?", default=Path("."), help="the game project folder (default: here)")
    p.add_argument("--engine", choices=("godot", "unity", "generic"), help="default: detected from DIR")
    p.set_defaults(run=_init)


def _init(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline.template import lay_out

    written = lay_out(args.dir, args.engine)
    for path in written:
        reporter.line(f"wrote {path}")
    reporter.line(f"next: cd {args.dir} && sfx-pipeline build")
    return EXIT_OK


# import-manifest --------------------------------------------------------------------------

def _import_cmd(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("import-manifest", help='turn a JSON manifest {"effects": [...]} into descriptors')
    _project_arg(p)
    p.add_argument("manifest", type=Path, help="the JSON file")
    p.add_argument("--into", metavar="DIR", help="descriptor folder to write into (default: the first descriptor_dirs)")
    p.set_defaults(run=_import)


def _import(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline.manifest import import_manifest

    project = _open_project(args, reporter)
    result = import_manifest(args.manifest, project.config, args.into)
    for path in result.written:
        reporter.line(f"wrote {path}")
    for path in result.skipped:
        reporter.line(f"kept {path} (already exists)")
    for problem in result.problems:
        reporter.line(f"error: {problem}")
    reporter.line(f"{len(result.written)} descriptors written, {len(result.skipped)} kept, {len(result.problems)} errors")
    return EXIT_ERROR if result.problems else EXIT_OK


# cache ------------------------------------------------------------------------------------

def _cache_cmd(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("cache", help="inspect and trim the generation and render cache")
    _project_arg(p)
    sub = p.add_subparsers(title="actions", metavar="ACTION", required=True)
    sub.add_parser("stats", help="entries, blobs and size").set_defaults(run=_cache_stats)
    sub.add_parser("verify", help="re-hash every blob; drop corrupt ones").set_defaults(run=_cache_verify)
    gc = sub.add_parser("gc", help="drop least recently used entries")
    gc.add_argument("--max-size", default="2G", help="keep the cache under this size, e.g. 500M, 2G (default 2G)")
    gc.set_defaults(run=_cache_gc)


def _cache_of(args: argparse.Namespace, reporter: Reporter):
    from sfx_pipeline.cache import Cache

    return Cache(_open_project(args, reporter).config.cache_dir)


def _cache_stats(args: argparse.Namespace, reporter: Reporter) -> int:
    cache = _cache_of(args, reporter)
    stats = cache.stats()
    print(f"cache: {cache.root}")
    print(f"generations: {stats.entries['generations']}  renders: {stats.entries['renders']}  "
          f"blobs: {stats.blobs}  size: {show.size(stats.bytes)}")
    return EXIT_OK


def _cache_verify(args: argparse.Namespace, reporter: Reporter) -> int:
    removed = _cache_of(args, reporter).verify()
    for line in removed:
        print(f"removed {line}")
    print(f"verified: {len(removed)} bad entries removed" if removed else "verified: every entry is intact")
    return EXIT_OK


def _cache_gc(args: argparse.Namespace, reporter: Reporter) -> int:
    limit = show.parse_size(args.max_size)
    removed, freed = _cache_of(args, reporter).gc(limit)
    print(f"removed {removed} entries, freed {show.size(freed)}")
    return EXIT_OK


# doctor -----------------------------------------------------------------------------------

def _doctor_cmd(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("doctor", help="can this machine run AudioGen? each problem with its fix")
    _project_arg(p)
    p.add_argument("--smoke", action="store_true",
                   help="also load the configured model and generate one 1 s sound with it (pass or fail, and the time)")
    p.set_defaults(run=_doctor)


def _doctor(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline import doctor, schema
    from sfx_pipeline.config import cache_dir as default_cache_dir
    from sfx_pipeline.config import find_root, load
    from sfx_pipeline.errors import ProjectNotFound

    try:
        config = load(find_root(args.project or Path.cwd()))
        generator, cache_dir = config.generator, config.cache_dir
    except ProjectNotFound:
        generator, cache_dir = schema.defaults(schema.GENERATOR), default_cache_dir(Path.cwd(), None)
        print("info  no sfx-pipeline.toml here: checking the default model")
    findings = doctor.run(generator["model"], generator["device"])
    for finding in findings:
        print(finding, flush=True)
    if args.smoke and any(f.level == doctor.FAIL for f in findings):
        print("info  smoke test skipped: fix the failures above first")
    elif args.smoke:
        print(f"info  smoke test: loading {generator['model']} and generating one sound...", flush=True)
        findings = findings + doctor.smoke(generator, cache_dir)
        print(findings[-1])
    return EXIT_ERROR if any(f.level == doctor.FAIL for f in findings) else EXIT_OK


# audition / pick -------------------------------------------------------------------------

def _audition_cmd(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("audition", help="render takes of one sound with other seeds, to listen and pick")
    _project_arg(p)
    p.add_argument("name", help="the sound's name (as in its output file name)")
    p.add_argument("--takes", type=int, default=4, help="how many takes (default 4)")
    p.set_defaults(run=_audition)
    p = commands.add_parser("pick", help="write the seed of an auditioned take into the sound's descriptor")
    _project_arg(p)
    p.add_argument("name")
    p.add_argument("take", type=int, help="the take's number, as audition printed it")
    p.set_defaults(run=_pick)


def _audition(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline.audition import audition

    if not 1 <= args.takes <= 32:
        raise UserError(f"--takes {args.takes} is out of range", "ask for 1 to 32 takes")
    takes = audition(_open_project(args, reporter), args.name, args.takes)
    for take in takes:
        print(f"take {take.number:2d}  seed {take.seed:<10d}  " + (f"failed: {take.error}" if take.error else take.path))
    print(f"listen, then keep one: sfx-pipeline pick {args.name} <take>")
    return EXIT_ERROR if any(t.error for t in takes) else EXIT_OK


def _pick(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline.audition import pick

    path, seed = pick(_open_project(args, reporter), args.name, args.take)
    print(f"{path}: seed = {seed} (take {args.take}); `sfx-pipeline build` installs it from the cache")
    return EXIT_OK


# schema -----------------------------------------------------------------------------------

def _schema_cmd(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("schema", help="the JSON Schema of *.sfx.toml, for editor completion")
    _project_arg(p)
    p.add_argument("--write", action="store_true",
                   help="write it and a .taplo.toml that uses it into the project root")
    p.set_defaults(run=_schema)


def _schema(args: argparse.Namespace, reporter: Reporter) -> int:
    from sfx_pipeline import jsonschema
    from sfx_pipeline.config import find_root

    if not args.write:
        print(json.dumps(jsonschema.descriptor_schema(), indent=2))
        return EXIT_OK
    for name in jsonschema.write(find_root(args.project or Path.cwd())):
        reporter.line(f"wrote {name}")
    return EXIT_OK


_COMMANDS = [_build_cmd, _status_cmd, _init_cmd, _import_cmd, _cache_cmd, _doctor_cmd, _schema_cmd, _audition_cmd, watch.register, hooks.register]
