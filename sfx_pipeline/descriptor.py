"""`*.sfx.toml` → SoundSpec: parse, merge with the project defaults, validate.

A file yields the specs it describes and the problems it has; a file with problems yields
no specs, so one broken descriptor never stops the others from building.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xxhash

from sfx_pipeline import schema
from sfx_pipeline.errors import Problem
from sfx_pipeline.names import CONFIG_NAME, SUFFIX
from sfx_pipeline.paths import name_problem, relative_path_problem
from sfx_pipeline.sound import GenerationParams, OutputParams, SoundSpec
from sfx_pipeline.tomlfile import TomlDoc, read_toml
from sfx_pipeline.untrusted import MAX_OUTPUT_PATH, normal_relative

if TYPE_CHECKING:  # the parser reads the config it is handed and never loads one: no import at run time
    from sfx_pipeline.config import ProjectConfig

BUILTIN_LEVEL = {"peak_db": -1.0}
# What one file may expand to: far more than a hand-written file holds, and small enough
# that a hostile one (10,000 inline sounds of 99 variations each) cannot stall a build.
MAX_ASSETS_PER_FILE = 1000

# The value types are re-exported for the AudioGen backend and doctor, which still import them from here.
__all__ = ["BUILTIN_LEVEL", "GenerationParams", "OutputParams", "Parsed", "SoundSpec", "derived_seed", "parse"]


@dataclass
class Parsed:
    specs: list[SoundSpec] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    stats: dict[str, os.stat_result] = field(default_factory=dict)  # descriptor -> stat, when memoised
    digests: dict[str, str] = field(default_factory=dict)  # descriptor -> digest of the bytes parsed
    found: int = 0  # descriptor files found by the walk


def parse(path: Path, config: ProjectConfig) -> Parsed:
    shown = path.relative_to(config.root).as_posix()
    doc, problems = read_toml(path, shown)
    if doc is None:
        return Parsed(problems=problems)
    checker = schema.Checker(shown, doc.locate)
    checker.check(doc.data, schema.DESCRIPTOR)
    if checker.problems:
        parsed = Parsed(problems=checker.problems + _rules_beyond(path, shown, doc, config, checker))
    else:
        parsed = _Resolver(path, shown, doc, config, checker).run()
    parsed.digests[shown] = doc.digest
    return parsed


def _rules_beyond(path: Path, shown: str, doc: TomlDoc, config: ProjectConfig, found: schema.Checker) -> list[Problem]:
    """Every problem of a file at once: the rules across keys (paths, names, loops, levels),
    run on the file without the values that already failed their own check, so fixing one
    error never reveals another that was there all along."""
    bad = [parts for parts in found.paths if parts]  # as paths, not the dotted keys: a key may hold a dot
    if not bad or ["sound"] in bad:
        return []  # no [[sound]] list to walk: the rules would only guess
    cleaned = copy.deepcopy(doc.data)
    for parts in bad:
        _remove(cleaned, parts)
    rules = schema.Checker(shown, doc.locate)
    _Resolver(path, shown, dataclasses.replace(doc, data=cleaned), config, rules).run()
    return [p for p, parts in zip(rules.problems, rules.paths) if not any(_within(parts, f) for f in found.paths)]


def _within(parts: list[str | int], failed: list[str | int]) -> bool:
    """Is `parts` the key path `failed`, or one inside it? (A problem already said.)"""
    return parts == failed or bool(failed) and parts[:len(failed)] == failed and isinstance(parts[len(failed)], str)


def _remove(data: Any, parts: list[str | int]) -> None:
    for part in parts[:-1]:
        if not _has(data, part):
            return
        data = data[part]
    last = parts[-1] if parts else None
    if last is not None and _has(data, last):
        if isinstance(data, dict):
            del data[last]
        else:
            data[last] = {}  # keep the other [[sound]] tables at their indexes


def _has(data: Any, part: str | int) -> bool:
    if isinstance(data, dict):
        return part in data
    return isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)

@dataclass
class _Resolver:
    path: Path
    shown: str
    doc: TomlDoc
    config: ProjectConfig
    checker: schema.Checker

    def run(self) -> Parsed:
        data = self.doc.data
        entries: list[tuple[list[str | int], dict[str, Any], dict[str, Any]]]
        if "sound" in data:
            entries = [(["sound", i], data["sound"][i], {k: v for k, v in data.items() if k != "sound"})
                       for i in range(len(data["sound"]))]
            self._file_level_rules(data)
        else:
            entries = [([], data, {})]
        assets = sum(entry.get("variations", shared.get("variations", 1)) for _, entry, shared in entries)
        if assets > MAX_ASSETS_PER_FILE:
            self.checker.add([], f"describes {assets} sounds (variations included), over the {MAX_ASSETS_PER_FILE} "
                             "one file may hold", "split it into several descriptors")
            return Parsed(problems=self.checker.problems)
        specs = [spec for where, entry, shared in entries for spec in self._sound(where, entry, shared)]
        if self.checker.problems:
            return Parsed(problems=self.checker.problems)
        return Parsed(specs=specs)

    def _file_level_rules(self, data: dict[str, Any]) -> None:
        for key in ("prompt", "name", "seed"):
            if key in data:
                self.checker.add([key], f"a file with [[sound]] tables sets {key} inside each [[sound]]",
                                 f"move {key} into the [[sound]] tables")
        if "path" in data.get("output", {}):
            self.checker.add(["output", "path"], "a shared output path would make every sound write the same file",
                             "set [sound.output] path per sound")
        if not data["sound"]:
            self.checker.add(["sound"], "no sounds in this file", "add a [[sound]] table with a name and a prompt")

    def _sound(self, where: list[str | int], entry: dict[str, Any], shared: dict[str, Any]) -> list[SoundSpec]:
        merged = schema.merge(schema.merge(self.config.defaults, shared), entry)
        before = len(self.checker.problems)
        name = self._name(where, entry)
        if "prompt" not in merged:
            self.checker.add(where + ["prompt"], "is missing", 'add a line such as prompt = "wooden door creaking open"')
        output = self._output(where, [entry, shared, self.config.defaults], merged)
        if len(self.checker.problems) > before or name is None or output is None:
            return []
        explicit_seed = merged.get("seed")
        base_seed: int = derived_seed(name) if explicit_seed is None else explicit_seed
        count = merged.get("variations", 1)
        names = [name] if count == 1 else [f"{name}_{i:02d}" for i in range(1, count + 1)]
        generation = merged.get("generation", {})
        longest = self._output_path(merged, name, names[-1])
        if len(longest) > MAX_OUTPUT_PATH:
            self.checker.add(where + ["output", "path"] if "path" in merged["output"] else where + ["name"],
                             f"the output path {longest[:60]}... is {len(longest)} characters long, over the "
                             f"{MAX_OUTPUT_PATH} that every OS can write", "use a shorter name or folder")
            return []
        return [
            SoundSpec(
                name=variant,
                descriptor=self.shown,
                entry=schema.dotted(where),
                prompt=" ".join(merged["prompt"].split()),
                duration=float(merged["duration"]),
                seed=(base_seed + i) % 2**31,
                backend=generation.get("backend", self.config.generator["backend"]),
                model=generation.get("model", self.config.generator["model"]),
                generation=GenerationParams(
                    temperature=float(generation["temperature"]),
                    top_k=int(generation["top_k"]),
                    top_p=float(generation["top_p"]),
                    cfg_coef=float(generation["cfg_coef"]),
                ),
                output=output,
                output_path=self._output_path(merged, name, variant),
            )
            for i, variant in enumerate(names)
        ]

    def _name(self, where: list[str | int], entry: dict[str, Any]) -> str | None:
        if where and "name" not in entry:
            self.checker.add(where + ["name"], "is missing", "give every [[sound]] a name, e.g. name = \"door_open\"")
            return None
        name: str = entry.get("name", self.path.name[: -len(SUFFIX)])
        problem = name_problem(name)
        if problem:
            key = where + ["name"] if "name" in entry else where
            hint = "set name = \"...\" in the file" if "name" not in entry else "use letters, digits, '_' and '-'"
            self.checker.add(key, f"name {name!r} {problem}", hint)
            return None
        return name

    def _output(self, where: list[str | int], layers: list[dict[str, Any]], merged: dict[str, Any]) -> OutputParams | None:
        out = merged["output"]
        failed = False  # every rule is checked, so a file's errors all show at once
        level = _level([layer.get("output", {}) for layer in layers])
        if level is None:
            self.checker.add(where + ["output"], *schema.LEVEL_CLASH)
            failed = True
        origin = _origin(layers[:2], ("loop", "fade_in", "fade_out", "loop_crossfade"))
        if out["loop"] and (out["fade_in"] or out["fade_out"]):
            self.checker.add(where + ["output", "loop"], "a loop cannot have fades: they would make it pulse" + origin,
                             "remove fade_in and fade_out, or set loop = false")
            failed = True
        if out["loop"] and out["loop_crossfade"] * 2 > merged["duration"]:
            self.checker.add(where + ["output", "loop_crossfade"],
                             f"{out['loop_crossfade']:g} s is more than half the duration ({merged['duration']:g} s)"
                             + origin, "shorten loop_crossfade or lengthen the sound")
            failed = True
        if "path" in out:
            problem = relative_path_problem(out["path"])
            if not problem and not out["path"].lower().endswith(".wav"):
                problem = "must end in .wav"
            if problem:
                self.checker.add(where + ["output", "path"], problem, 'for example path = "ui/click.wav"')
                failed = True
        if out["fade_in"] + out["fade_out"] > merged["duration"]:
            self.checker.add(where + ["output", "fade_out"],
                             f"fade_in + fade_out ({out['fade_in'] + out['fade_out']:g} s) "
                             f"is longer than duration ({merged['duration']:g} s)"
                             + _origin(layers[:2], ("fade_in", "fade_out")), "shorten the fades or lengthen the sound")
            failed = True
        if failed or level is None:
            return None
        return OutputParams(
            sample_rate=out["sample_rate"],
            bit_depth=out["bit_depth"],
            gain_db=level.get("gain_db"),
            peak_db=level.get("peak_db"),
            fade_in=float(out["fade_in"]),
            fade_out=float(out["fade_out"]),
            loudness=level.get("loudness"),
            true_peak_db=float(out["true_peak_db"]),
            trim=out["trim"],
            loop=out["loop"],
            loop_crossfade=float(out["loop_crossfade"]),
        )

    def _output_path(self, merged: dict[str, Any], name: str, variant: str) -> str:
        # posixpath on strings, not PurePosixPath: this runs once per asset on every build
        explicit = merged["output"].get("path")
        if explicit:
            stem, suffix = posixpath.splitext(normal_relative(explicit))  # `ui/./a.wav` is `ui/a.wav`
            return posixpath.join(self.config.import_dir, stem + variant[len(name):] + suffix)
        return posixpath.join(self.config.import_dir, self._subfolder(), f"{variant}.wav")

    def _subfolder(self) -> str:
        """The descriptor's folder relative to the descriptor root that contains it."""
        folder = posixpath.dirname(self.shown)
        for root in self.config.descriptor_dirs:
            if folder == root:
                return ""
            if folder.startswith(root + "/"):
                return folder[len(root) + 1:]
        return ""


def _origin(own: list[dict[str, Any]], keys: tuple[str, ...]) -> str:
    """Where the values came from, when this file set none of them: the project's defaults."""
    if any(k in layer.get("output", {}) for layer in own for k in keys):
        return ""
    return f" (set in [defaults.output] of {CONFIG_NAME})"


def _level(layers: list[dict[str, Any]]) -> dict[str, float] | None:
    """The most specific layer that sets a level key decides; None if it sets two."""
    for layer in layers:
        chosen = {k: float(layer[k]) for k in schema.LEVEL_KEYS if k in layer}
        if len(chosen) > 1:
            return None
        if chosen:
            return chosen
    return dict(BUILTIN_LEVEL)


def derived_seed(name: str) -> int:
    """A stable seed from the asset name, the same on every machine and Python."""
    return xxhash.xxh32_intdigest(name.encode("utf-8")) & 0x7FFFFFFF
