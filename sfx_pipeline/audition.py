"""`audition NAME --takes N` and `pick NAME K`: try seeds, keep the one that sounds right.

Takes are rendered with the asset's own settings into `sfx-audition/NAME/` at the project
root, a folder the engines ignore (outside Unity's Assets/, and marked with `.gdignore`
for Godot) and git ignores. Each take goes through the caches like a build, so after
`pick` the next build installs the chosen take straight from the render cache.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfx_pipeline import descriptor, scan
from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.config import ProjectConfig
from sfx_pipeline.descriptor import derived_seed
from sfx_pipeline.errors import UserError
from sfx_pipeline.keys import target
from sfx_pipeline.produce import Producer
from sfx_pipeline.project import Project
from sfx_pipeline.schema import suggest
from sfx_pipeline.sound import SoundSpec
from sfx_pipeline.tomlfile import read_toml, with_int

FOLDER = "sfx-audition"
TAKES_FILE = "takes.json"
_IGNORES = {".gdignore": "", ".gitignore": "# auditions are scratch: never committed\n*\n"}


@dataclass(frozen=True)
class Take:
    number: int
    seed: int
    path: str  # project-relative
    error: str = ""


def take_seed(spec: SoundSpec, number: int) -> int:
    """Seeds far from the asset's own and its variations' (seed, seed+1, …)."""
    return derived_seed(f"{spec.name}#take{number}@{spec.seed}")


def find_spec(project: Project, name: str) -> SoundSpec:
    parsed = scan.load_all(project.config)
    for spec in parsed.specs:
        if spec.name == name:
            return spec
    hint = suggest(name, [s.name for s in parsed.specs]) or "`sfx-pipeline status --all` lists every asset"
    raise UserError(f"no sound named {name!r} in this project", hint)


def audition(project: Project, name: str, takes: int) -> list[Take]:
    """Take 0 is the sound as its descriptor makes it now, to compare against; takes 1 to
    `takes` use other seeds."""
    spec = find_spec(project, name)
    if _is_variation(project, spec):
        raise UserError(
            f"{name} is one of the variations of {spec.descriptor}, which share one seed sequence "
            "(seed, seed+1, …): a take's seed could not be given to it alone",
            f"set `seed` in {spec.descriptor} to try another sequence, or give the sound its own descriptor")
    folder = project.root / FOLDER / name
    _prepare(project.root / FOLDER, folder)
    generator = project.generators.for_spec(spec)
    variants = {}
    for number in range(0, takes + 1):
        take = dataclasses.replace(spec, seed=take_seed(spec, number) if number else spec.seed)
        variants[take.seed] = (number, target(take, generator))
    results = []
    for done in Producer(project.cache, project.generators, project.reporter).produce([t for _, t in variants.values()]):
        number, _ = variants[done.target.spec.seed]
        path = folder / f"take_{number:02d}.wav"
        if done.data is not None:
            write_atomic(path, done.data)
        results.append(Take(number, done.target.spec.seed, path.relative_to(project.root).as_posix(), done.error))
    results.sort(key=lambda t: t.number)
    # The render key of each take: `pick` checks it still matches what the descriptor would
    # build with that seed, so it never promises a sound nobody heard.
    keys = {str(number): t.render_key for number, t in variants.values()}
    record = {"descriptor": spec.descriptor, "entry": spec.entry, "takes": {str(t.number): t.seed for t in results},
              "render_keys": keys}
    write_atomic(folder / TAKES_FILE, json.dumps(record, indent=2).encode("utf-8"))
    return results


def _prepare(root: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in _IGNORES.items():
        if not (root / name).exists():
            (root / name).write_text(text, encoding="utf-8")


def pick(project: Project, name: str, number: int) -> tuple[str, int]:
    """Write take `number`'s seed into the descriptor; returns (descriptor, seed)."""
    spec = find_spec(project, name)
    record = _takes(project.root / FOLDER / name / TAKES_FILE, name)
    seed = record["takes"].get(str(number))
    if seed is None:
        raise UserError(f"{name} has no take {number}", f"takes are {', '.join(sorted(record['takes'], key=int))}")
    if _is_variation(project, spec):
        raise UserError(f"{name} is one of the variations of {spec.descriptor}; they share one seed sequence",
                        f"set seed in {spec.descriptor} by hand, or audition a single sound")
    heard = record.get("render_keys", {}).get(str(number))
    now = target(dataclasses.replace(spec, seed=seed), project.generators.for_spec(spec)).render_key
    if heard != now:
        raise UserError(f"the takes of {name} were made from other settings than {spec.descriptor} has now, "
                        f"so take {number} is not the sound a build would make",
                        f"run `sfx-pipeline audition {name}` again and pick from the new takes")
    if seed != spec.seed:
        _write_seed(project.root / spec.descriptor, spec, seed, project.config)
    return spec.descriptor, seed


def _takes(path: Path, name: str) -> dict[str, Any]:
    try:
        takes: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"no takes of {name} to pick from", f"run `sfx-pipeline audition {name}` first") from None
    return takes


def _is_variation(project: Project, spec: SoundSpec) -> bool:
    siblings = [s for s in descriptor.parse(project.root / spec.descriptor, project.config).specs if s.entry == spec.entry]
    return len(siblings) > 1


def _write_seed(path: Path, spec: SoundSpec, seed: int, config: ProjectConfig) -> None:
    """Change or add `seed = N` in the sound's own table, leaving every other line as it was."""
    doc, problems = read_toml(path, spec.descriptor)
    if doc is None:
        raise UserError(f"{spec.descriptor} cannot be read: {problems[0]}")
    original = path.read_bytes()
    edited = with_int(original, doc, _entry_path(spec.entry), "seed", seed, after="prompt")
    if edited is None:
        raise UserError(f"cannot find where to put the seed in {spec.descriptor}", f"add seed = {seed} by hand")
    write_atomic(path, edited)
    check = [s for s in descriptor.parse(path, config).specs if s.name == spec.name]
    if not check or check[0].seed != seed:
        write_atomic(path, original)  # leave the file as it was rather than half-edited
        raise UserError(f"could not set the seed in {spec.descriptor} safely", f"add seed = {seed} by hand")


def _entry_path(entry: str) -> list[str | int]:
    match = re.fullmatch(r"sound\[(\d+)\]", entry)
    return ["sound", int(match.group(1))] if match else []

