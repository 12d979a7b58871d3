"""`sfx-pipeline import-manifest`: the JSON lists teams keep today → one descriptor each.

Accepts {"effects": [{"name", "prompt", "duration", ...}, ...]}, each entry with any key a
descriptor's sound takes (seed, variations, generation, output), and writes
`<name>.sfx.toml` with an explicit seed (derived from the name, so the first build matches what a build
without a seed would give, and a later rename keeps the sound).
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sfx_pipeline import descriptor, schema
from sfx_pipeline.config import ProjectConfig
from sfx_pipeline.descriptor import derived_seed
from sfx_pipeline.errors import Problem, UserError
from sfx_pipeline.names import SUFFIX
from sfx_pipeline.paths import inside, name_problem, relative_path_problem

_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass
class Imported:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (as in the manifest, as written)
    problems: list[Problem] = field(default_factory=list)


def import_manifest(manifest: Path, config: ProjectConfig, into: str | None) -> Imported:
    """All or nothing: every entry is checked (as the descriptor it becomes) before any is
    written, so a failed import leaves no half of itself behind to clean up."""
    effects = _read(manifest)
    folder = into or config.descriptor_dirs[0]
    problem = relative_path_problem(folder)
    if problem:
        raise UserError(f"--into {folder!r} {problem}", "give a folder inside the project, e.g. sfx/imported")
    result = Imported()
    texts: dict[str, str] = {}
    seen: set[str] = set()
    for i, effect in enumerate(effects):
        made = _descriptor(manifest.name, i, effect, result, seen)
        if made is not None:
            name, text = made
            texts[str(PurePosixPath(folder) / f"{name}{SUFFIX}")] = text
    if not result.problems:
        result.problems += _validate(texts, config, manifest.name)
    if result.problems:
        return result
    for relative, text in texts.items():
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


def file_name(name: str) -> str:
    """A manifest's name as an asset name: letters, digits, _ and -, every other run of
    characters one underscore ("Heavy Door Slam" -> "Heavy_Door_Slam")."""
    return _NAME_CHARS.sub("_", name).strip("_")


def _descriptor(file: str, i: int, effect: Any, result: Imported, seen: set[str]) -> tuple[str, str] | None:
    where = f"effects[{i}]"
    if not isinstance(effect, dict):
        result.problems.append(Problem(file, where, "must be an object with name, prompt and duration"))
        return None
    checker = schema.Checker(file)
    checker.check(effect, schema.SOUND, ["effects", i])  # every key a descriptor's sound takes
    for key in ("name", "prompt"):
        if key not in effect:
            checker.add(["effects", i, key], "is missing")
    raw = effect.get("name")
    name = file_name(raw) if isinstance(raw, str) else ""
    if isinstance(raw, str) and not name:
        checker.add(["effects", i, "name"], f"{raw!r} has no letter or digit to name a file with")
    elif name and (problem := name_problem(name)):
        checker.add(["effects", i, "name"], f"{name!r} {problem}")
    elif name and name.casefold() in seen:
        checker.add(["effects", i, "name"], f"{raw!r} appears twice (as a file name, {name!r})", "names must be unique")
    result.problems.extend(checker.problems)
    if checker.problems or not isinstance(raw, str):
        return None
    seen.add(name.casefold())
    if name != raw:
        result.renamed.append((raw, name))
    body = {k: v for k, v in effect.items() if k != "name"}
    body.setdefault("seed", derived_seed(name))
    origin = f"# Imported from {file}" + (f" (name {json.dumps(raw, ensure_ascii=False)})" if name != raw else "")
    return name, origin + ".\n" + _toml(body)


def _toml(body: dict[str, Any]) -> str:
    """The checked entry as TOML: keys first, then [generation] and [output] tables."""
    lines = [f"{k} = {_value(v)}" for k, v in body.items() if not isinstance(v, dict)]
    for table, values in ((k, v) for k, v in body.items() if isinstance(v, dict)):
        lines += ["", f"[{table}]"] + [f"{k} = {_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    return repr(float(value)) if isinstance(value, float) else str(value)


def _validate(texts: dict[str, str], config: ProjectConfig, file: str) -> list[Problem]:
    """What the descriptor validator says of each text, before any is written: the rules
    across keys (two levels, a loop with fades, …) live there, not in the key tables."""
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        where = dataclasses.replace(config, root=Path(scratch))
        for relative, text in texts.items():
            path = Path(scratch) / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            for p in descriptor.parse(path, where).problems:
                problems.append(dataclasses.replace(p, file=file, key=f"{relative}: {p.key}" if p.key else relative,
                                                    line=None, column=None))
    return problems
