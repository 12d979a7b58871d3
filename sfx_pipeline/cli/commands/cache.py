"""`sfx-pipeline cache stats|verify|gc`: inspect, check and trim the cache."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

from sfx_pipeline.cli.command import Command
from sfx_pipeline.cli.context import open_project
from sfx_pipeline.cli.output import Output
from sfx_pipeline.errors import UserError

if TYPE_CHECKING:
    from sfx_pipeline.cache import Cache


def _cache(args: argparse.Namespace, out: Output) -> Cache:
    from sfx_pipeline.cache import Cache

    return Cache(open_project(args, out).config.cache_dir)


def _stats(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.cli.render import size

    cache = _cache(args, out)
    stats = cache.stats()
    out.emit({"root": str(cache.root), "entries": stats.entries, "blobs": stats.blobs, "bytes": stats.bytes},
             [f"cache: {cache.root}",
              f"generations: {stats.entries['generations']}  renders: {stats.entries['renders']}  "
              f"blobs: {stats.blobs}  size: {size(stats.bytes)}"])
    return 0


def _verify(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.cli.render import plural

    removed = _cache(args, out).verify()
    summary = (f"verified: {plural(len(removed), 'bad entry', 'bad entries')} removed" if removed
               else "verified: every entry is intact")
    out.emit({"removed": removed}, [*(f"removed {line}" for line in removed), summary])
    return 0


def _gc_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-size", default="2G", help="keep the cache under this size, e.g. 500M, 2G (default 2G)")


def parse_size(text: str) -> int:
    """--max-size: 500M, 2G, 1.5GiB... in bytes (powers of 1024)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if not match:
        raise UserError(f"--max-size {text!r} is not a size", "write it like 500M or 2G")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def _gc(args: argparse.Namespace, out: Output) -> int:
    from sfx_pipeline.cli.render import plural, size

    removed, freed = _cache(args, out).gc(parse_size(args.max_size))
    out.emit({"removed": removed, "freed_bytes": freed}, [f"removed {plural(removed, 'entry', 'entries')}, "
                                                          f"freed {size(freed)}"])
    return 0


COMMAND = Command(
    name="cache",
    summary="inspect, check and trim the generation and render cache",
    actions=(
        Command("stats", "entries, blobs and size", _stats, options=("json",), example="sfx-pipeline cache stats"),
        Command("verify", "re-hash every blob; drop corrupt ones", _verify, options=("json",),
                example="sfx-pipeline cache verify"),
        Command("gc", "drop the least recently used entries", _gc, _gc_arguments, options=("json",),
                example="sfx-pipeline cache gc --max-size 500M"),
    ),
)
