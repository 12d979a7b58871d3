"""Every descriptor of a project → specs: find the files, parse each (or recall it), and
refuse outputs that two sounds would both write.

The memo (a StatMemo in `.sfx-pipeline/`) keeps each file's parsed specs by its stat, so a
no-op build reads no TOML at all; specs are stored positionally to keep it quick to load.
"""

from __future__ import annotations

import os
from dataclasses import astuple, fields
from pathlib import Path
from typing import Any

from sfx_pipeline import schema
from sfx_pipeline.config import ProjectConfig
from sfx_pipeline.descriptor import Parsed, parse
from sfx_pipeline.errors import Problem
from sfx_pipeline.frozen import from_row
from sfx_pipeline.links import is_linked_folder
from sfx_pipeline.names import SUFFIX
from sfx_pipeline.paths import fold
from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec
from sfx_pipeline.state import StatMemo


def find(config: ProjectConfig, problems: list[Problem] | None = None) -> list[str]:
    """Every descriptor under the descriptor folders (absolute paths), sorted, hidden folders skipped.

    Strings, not Paths: a no-op build walks thousands of them and pathlib is slow at that.
    Linked folders inside are not followed (a link loop would never end); names that are
    not UTF-8 and folders that cannot be read are reported in `problems`, once each."""
    found: list[str] = []
    prefix = len(os.path.join(str(config.root), ""))
    for folder in config.descriptor_dirs:
        _scan(os.path.join(config.root, folder), found, problems if problems is not None else [], prefix)
    return sorted(set(found))


def _scan(folder: str, found: list[str], problems: list[Problem], prefix: int) -> None:
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:  # no permission, a name too long, a loop of links above it
        problems.append(Problem(_shown(folder, prefix), "", f"cannot read this folder: {exc.strerror or exc}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if not _is_utf8(entry.name):
            if entry.name.endswith(SUFFIX) or entry.is_dir(follow_symlinks=False):
                problems.append(Problem(_shown(entry.path, prefix), "", "the name is not valid UTF-8",
                                        "rename it: sound names become file names on every OS"))
            continue
        if entry.is_dir(follow_symlinks=False) and not is_linked_folder(entry):
            _scan(entry.path, found, problems, prefix)
        elif entry.name.endswith(SUFFIX):
            found.append(entry.path)
        elif _links_to_folder(entry):
            problems.append(Problem(_shown(entry.path, prefix), "", "is a link to a folder: not followed",
                                    "move the descriptors into a real folder under the descriptor folder"))


def _links_to_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return is_linked_folder(entry) or entry.is_symlink() and entry.is_dir()
    except OSError:  # a loop of links
        return False


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")  # os.scandir turns bytes that are not UTF-8 into lone surrogates
    except UnicodeEncodeError:
        return False
    return True


def _shown(path: str, prefix: int) -> str:
    return path[prefix:].replace(os.sep, "/").encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def load_all(config: ProjectConfig, memo: StatMemo | None = None) -> Parsed:
    """Parse every descriptor; refuse outputs that two specs would both write.

    With a memo, a descriptor whose stat is unchanged is not read again."""
    result = Parsed()
    seen: set[str] = set()
    prefix = len(os.path.join(str(config.root), ""))
    paths = find(config, result.problems)
    result.found = len(paths)
    for path in paths:
        shown = path[prefix:].replace(os.sep, "/")
        seen.add(shown)
        st = _stat(path) if memo is not None else None
        if st is not None and memo is not None and _recalled(shown, st, memo, result):
            continue
        parsed = parse(Path(path), config)
        if st is not None and memo is not None:  # by the stat taken before reading, never after
            memo.remember(shown, st, {"specs": [spec_to_json(s) for s in parsed.specs],
                                      "problems": [p.to_json() for p in parsed.problems]})
            parsed.stats[shown] = st
        result.stats.update(parsed.stats)
        result.digests.update(parsed.digests)
        result.specs.extend(parsed.specs)
        result.problems.extend(parsed.problems)
    if memo:
        memo.keep_only(seen)
    return _drop_collisions(result)


def load_some(config: ProjectConfig, paths: list[str]) -> Parsed:
    """Parse just these descriptors (absolute paths, in the order `find` gives), each with the
    stat taken before it was read; outputs two of them would both write are refused, as in
    `load_all` (outputs shared with other descriptors are the caller's to rule out)."""
    result = Parsed()
    prefix = len(os.path.join(str(config.root), ""))
    for path in sorted(paths):
        st = _stat(path)
        parsed = parse(Path(path), config)
        if st is not None:
            result.stats[path[prefix:].replace(os.sep, "/")] = st
        result.digests.update(parsed.digests)
        result.specs.extend(parsed.specs)
        result.problems.extend(parsed.problems)
    result.found = len(paths)
    return _drop_collisions(result)


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None  # parse says what is wrong with it


def _recalled(shown: str, st: os.stat_result, memo: StatMemo, result: Parsed) -> bool:
    """Add what the memo knows of an unchanged descriptor to `result`. Straight into it, with
    no Parsed of its own: this runs for every descriptor on every run."""
    known = memo.recall(shown, st)
    if known is None:
        return False
    made = memo.derived(shown, known)
    if made is None:
        try:
            made = ([spec_from_json(s) for s in known["specs"]], [Problem(**p) for p in known["problems"]])
        except (TypeError, KeyError, ValueError):
            return False  # a damaged memo entry: parse the file again
        memo.keep_derived(shown, known, made)  # specs and problems are frozen: safe to hand out again
    specs, problems = made
    result.specs.extend(specs)
    result.problems.extend(problems)
    result.stats[shown] = st
    return True


def spec_to_json(spec: SoundSpec) -> list[Any]:
    """Positional, not a dict: the memo of 5,000 specs loads noticeably faster this way."""
    values = [getattr(spec, f.name) for f in fields(SoundSpec)]
    return [list(astuple(v)) if isinstance(v, (GenerationParams, OutputParams)) else v for v in values]


def spec_from_json(data: list[Any]) -> SoundSpec:
    if len(data) != len(_SPEC_FIELDS):
        raise ValueError("a spec of another shape")
    values = list(data)
    values[_GENERATION] = from_row(GenerationParams, values[_GENERATION])
    values[_OUTPUT] = from_row(OutputParams, values[_OUTPUT])
    return from_row(SoundSpec, values)  # every unchanged spec, every run: see frozen.py


_SPEC_FIELDS = [f.name for f in fields(SoundSpec)]
# The layout of `spec_to_json`: bump it whenever SoundSpec's fields change. Specs are stored by
# position, so a memo written with other fields would be read into the wrong ones; a memo of
# another format is dropped whole (see Project._memos) and every descriptor parsed again.
# 2: SoundSpec lost `seed_from_name`.
MEMO_FORMAT = 2
_GENERATION, _OUTPUT = _SPEC_FIELDS.index("generation"), _SPEC_FIELDS.index("output")


def _drop_collisions(result: Parsed) -> Parsed:
    if len({fold(spec.output_path) for spec in result.specs}) == len(result.specs):
        return result  # no two alike, as nearly always: no list per output to group them in
    by_output: dict[str, list[SoundSpec]] = {}
    for spec in result.specs:
        by_output.setdefault(fold(spec.output_path), []).append(spec)
    kept: list[SoundSpec] = []
    for specs in by_output.values():
        if len(specs) == 1:
            kept.append(specs[0])
            continue
        places = " and ".join(_where(s) for s in specs)
        for spec in specs:
            result.problems.append(Problem(
                spec.descriptor, schema.dotted([spec.entry, "name"]) if spec.entry else "name",
                f"{places} would all write {spec.output_path}",
                "give them different names, or set [output] path on one of them",
            ))
    return Parsed(specs=kept, problems=result.problems, stats=result.stats, digests=result.digests, found=result.found)


def _where(spec: SoundSpec) -> str:
    return spec.descriptor + (f" ({spec.entry})" if spec.entry else "")
