"""`sfx-pipeline import-manifest`: the JSON lists teams keep today → one descriptor each.

Accepts {"effects": [{"name", "prompt", "duration"}, ...]} and writes `<name>.sfx.toml`
with an explicit seed (derived from the name, so the first build matches what a build
without a seed would give, and a later rename keeps the sound).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sfx_pipeline import schema
from sfx_pipeline.config import ProjectConfig
from sfx_pipeline.descriptor import derived_seed
from sfx_pipeline.errors import Problem, UserError
from sfx_pipeline.names import SUFFIX
from sfx_pipeline.paths import inside, name_problem, relative_path_problem

_KNOWN = ("name", "prompt", "duration", "seed")


@dataclass
class Imported:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def import_manifest(manifest: Path, config: ProjectConfig, into: str | None) -> Imported:
    effects = _read(manifest)
    folder = into or config.descriptor_dirs[0]
    problem = relative_path_problem(folder)
    if problem:
        raise UserError(f"--into {folder!r} {problem}", "give a folder inside the project, e.g. sfx/imported")
    result = Imported()
    seen: set[str] = set()
    for i, effect in enumerate(effects):
        text = _descriptor(manifest.name, i, effect, result.problems, seen)
        if text is None:
            continue
        relative = str(PurePosixPath(folder) / f"{effect['name']}{SUFFIX}")
        target = inside(config.root, relative)
        if target.exists():
            result.skipped.append(relative)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
        result.written.append(relative)
    return result


def _read(manifest: Path) -> list[Any]:
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{manifest}: no such file") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{manifest}: not valid JSON: {exc}", "check the file in a JSON validator") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("effects"), list):
        raise UserError(f'{manifest}: expected {{"effects": [...]}} at the top level',
                        'wrap the list as {"effects": [{"name": ..., "prompt": ..., "duration": ...}]}')
    effects: list[Any] = doc["effects"]
    return effects


def _descriptor(file: str, i: int, effect: Any, problems: list[Problem], seen: set[str]) -> str | None:
    where = f"effects[{i}]"
    if not isinstance(effect, dict):
        problems.append(Problem(file, where, "must be an object with name, prompt and duration"))
        return None
    checker = schema.Checker(file)
    for key, value in effect.items():
        if key not in _KNOWN:
            checker.add(["effects", i, key], "unknown key", f"known keys: {', '.join(_KNOWN)}")
        else:
            checker.value(value, schema.SOUND.keys[key], ["effects", i, key])  # type: ignore[arg-type]
    for key in ("name", "prompt"):
        if key not in effect:
            checker.add(["effects", i, key], "is missing")
    name = effect.get("name")
    if isinstance(name, str) and (problem := name_problem(name)):
        checker.add(["effects", i, "name"], f"{name!r} {problem}")
    elif isinstance(name, str) and name.casefold() in seen:
        checker.add(["effects", i, "name"], f"{name!r} appears twice", "names must be unique")
    problems.extend(checker.problems)
    if checker.problems or not isinstance(name, str):
        return None
    seen.add(name.casefold())
    lines = [f"prompt = {json.dumps(effect['prompt'], ensure_ascii=False)}"]
    if "duration" in effect:
        lines.append(f"duration = {float(effect['duration'])}")
    lines.append(f"seed = {effect.get('seed', derived_seed(name))}")
    return f"# Imported from {file}.\n" + "\n".join(lines) + "\n"
