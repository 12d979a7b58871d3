"""Every key a user can write, in one place.

Descriptors (`*.sfx.toml`) and the project config (`sfx-pipeline.toml`) are validated
against these tables, the did-you-mean suggestions come from them, and so does the JSON
Schema that editors use to complete descriptors. Adding a key here is the whole job of
making it valid; the code that uses it reads the merged, validated dict.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

from sfx_pipeline.errors import Problem

BACKENDS = ("auto", "procedural", "audiogen", "remote")
ENGINES = ("godot", "unity", "generic")
SAMPLE_RATES = (16000, 22050, 24000, 32000, 44100, 48000, 96000)
MIN_DURATION, MAX_DURATION = 0.5, 30.0


@dataclass(frozen=True)
class Key:
    """One value: its type, its bounds and what it means."""

    kind: type  # str, int, float (accepts int), bool or list (of `item`)
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] | None = None
    item: type | None = None  # element type for lists
    default: Any = None


@dataclass(frozen=True)
class Table:
    keys: dict[str, Key | Table | ArrayOfTables]
    doc: str = ""


@dataclass(frozen=True)
class ArrayOfTables:
    table: Table
    doc: str = ""


GENERATION = Table(
    {
        "temperature": Key(float, "Sampling temperature: lower is more predictable.", 0.05, 5.0, default=1.0),
        "top_k": Key(int, "Sample from the k most likely tokens; 0 disables.", 0, 2048, default=250),
        "top_p": Key(float, "Nucleus sampling threshold; 0 disables (top_k is used).", 0.0, 1.0, default=0.0),
        "cfg_coef": Key(float, "Classifier-free guidance: how strongly the prompt steers.", 0.0, 20.0, default=3.0),
        "backend": Key(str, "Generator for this sound; overrides the project's [generator] backend.", choices=BACKENDS),
        "model": Key(str, "AudioGen model: a hub id or a local directory; overrides [generator] model."),
    },
    "What changes the generated audio.",
)

# [output] sets the level one way per layer (a descriptor, its file's shared keys, the defaults).
LEVEL_KEYS = ("gain_db", "peak_db", "loudness")  # one way to set the level per layer
LEVEL_CLASH = ("sets more than one of gain_db, peak_db and loudness",
               "keep one: gain_db for a fixed gain, peak_db for the sample peak, loudness for LUFS")

OUTPUT = Table(
    {
        "path": Key(str, "Output file relative to the import folder, e.g. \"ui/click.wav\"."),
        "sample_rate": Key(int, "Sample rate of the written WAV in Hz.", choices=SAMPLE_RATES, default=48000),
        "bit_depth": Key(int, "16 (dithered) or 24 bit PCM.", choices=(16, 24), default=16),
        "gain_db": Key(float, "Fixed gain in dB instead of peak normalisation.", -60.0, 24.0),
        "peak_db": Key(float, "Normalise the sample peak to this level in dBFS (-1 when no level is set).", -60.0, 0.0),
        "loudness": Key(float, "Normalise integrated loudness to this many LUFS (EBU R128), e.g. -18.", -60.0, 0.0),
        "true_peak_db": Key(float, "True-peak ceiling in dBTP with loudness (4x oversampled).", -20.0, 0.0,
                            default=-1.0),
        "fade_in": Key(float, "Fade-in length in seconds.", 0.0, MAX_DURATION, default=0.0),
        "fade_out": Key(float, "Fade-out length in seconds.", 0.0, MAX_DURATION, default=0.0),
        "trim": Key(bool, "Cut leading and trailing silence, keeping a short tail.", default=False),
        "loop": Key(bool, "Make a seamless loop and mark it in the WAV (smpl chunk).", default=False),
        "loop_crossfade": Key(float, "Seconds of tail crossfaded into the head for a loop.", 0.01, 5.0,
                              default=0.25),
    },
    "What happens after generation: changing these re-renders without regenerating.",
)

_SOUND_KEYS: dict[str, Key | Table | ArrayOfTables] = {
    "name": Key(str, "Asset name: the WAV is written as <name>.wav. Default: the file name."),
    "prompt": Key(str, "What the sound is, in a few words, e.g. \"wooden door creaking open\"."),
    "duration": Key(float, "Length in seconds.", MIN_DURATION, MAX_DURATION, default=2.0),
    "seed": Key(int, "Random seed; default derived from the name.", 0, 2**31 - 1),
    "variations": Key(int, "Number of takes: installs name_01 ... name_NN with seeds seed, seed+1, ...", 1, 99, default=1),
    "generation": GENERATION,
    "output": OUTPUT,
}

SOUND = Table(_SOUND_KEYS, "One sound effect.")

# A file either is one sound, or holds [[sound]] tables; its other top-level keys are then
# shared defaults for every sound in it.
DESCRIPTOR = Table(
    {**_SOUND_KEYS, "sound": ArrayOfTables(SOUND, "Several sounds in one file, each with a name.")},
    "A sfx-pipeline descriptor (*.sfx.toml).",
)

GENERATOR = Table(
    {
        "backend": Key(str, "auto: AudioGen where it can load, else a reachable `url` server, else procedural. "
                            "remote: the server at `url`.", choices=BACKENDS, default="auto"),
        "model": Key(str, "AudioGen hub id or local directory.", default="facebook/audiogen-medium"),
        "device": Key(str, "Where AudioGen runs.", choices=("auto", "cuda", "cpu"), default="auto"),
        "max_batch_size": Key(int, "Most clips per generate call; 0 picks one from free GPU memory.", 0, 1024, default=0),
        "decoder": Key(str, "AudioGen decode loop: fast (static KV cache, per-sound seeds) or audiocraft (stock).",
                       choices=("fast", "audiocraft"), default="fast"),
        "precision": Key(str, "AudioGen's transformer weights: auto (audiocraft's choice: float16 on a GPU, float32 on "
                              "a CPU), float16 (the GPU layout anywhere; half the memory) or float32.",
                         choices=("auto", "float16", "float32"), default="auto"),
        "url": Key(str, "The team's `sfx-pipeline serve`, e.g. \"http://gpu-box:8750\"; its token comes from "
                        "SFX_PIPELINE_TOKEN, never from this file."),
        "timeout": Key(float, "Seconds to wait for one sound from the server.", 1.0, 3600.0, default=300.0),
    },
    "How sounds are generated on this machine.",
)

CACHE = Table(
    {
        "remote": Key(str, "A shared store of generated audio: `sfx-pipeline serve` or a WebDAV server, e.g. "
                           "\"http://gpu-box:8750\"; objects live under <remote>/cas/."),
        "read_only": Key(bool, "Fetch from the shared store but never publish to it.", default=False),
    },
    "The team's shared cache.",
)

DEFAULTS = Table(
    {
        "duration": _SOUND_KEYS["duration"],
        "generation": Table({k: v for k, v in GENERATION.keys.items() if k not in ("backend", "model")}),
        "output": Table({k: v for k, v in OUTPUT.keys.items() if k != "path"}),
    },
    "Defaults every descriptor inherits.",
)

CONFIG = Table(
    {
        "engine": Key(str, "Game engine; detected from the project when absent.", choices=ENGINES),
        "import_dir": Key(str, "Where WAVs are written, relative to the project root."),
        "descriptor_dirs": Key(list, "Folders scanned for *.sfx.toml, relative to the project root.", item=str),
        "cache_dir": Key(str, "Cache folder; default is the user cache dir. SFX_PIPELINE_CACHE overrides."),
        "generator": GENERATOR,
        "cache": CACHE,
        "defaults": DEFAULTS,
    },
    "sfx-pipeline project configuration (sfx-pipeline.toml).",
)


@dataclass
class Checker:
    """Walks a parsed TOML document against a Table and collects Problems."""

    file: str
    locate: Any = None  # callable(key_path: list[str|int]) -> (line, column) | None
    problems: list[Problem] = field(default_factory=list)
    paths: list[list[str | int]] = field(default_factory=list)  # each problem's key path, as `add` was given it

    def check(self, data: dict[str, Any], table: Table, path: list[str | int] | None = None) -> None:
        path = path or []
        for key, value in data.items():
            spec = table.keys.get(key)
            if spec is None:
                self._unknown(key, table, path)
            elif isinstance(spec, Table):
                if not isinstance(value, dict):
                    self.add(path + [key], f"must be a table, got {_kind_name(value)}", f"write it as [{dotted(path + [key])}]")
                else:
                    self.check(value, spec, path + [key])
            elif isinstance(spec, ArrayOfTables):
                if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                    self.add(path + [key], "must be an array of tables", f"write each entry under [[{key}]]")
                else:
                    for i, item in enumerate(value):
                        self.check(item, spec.table, path + [key, i])
            else:
                self.value(value, spec, path + [key])

    def value(self, value: Any, key: Key, path: list[str | int]) -> None:
        if not _is_kind(value, key.kind):
            self.add(path, f"must be {_kind_label(key)}, got {_kind_name(value)} {_short(value)}", _example(path, key))
            return
        if isinstance(value, float) and not math.isfinite(value):
            # NaN passes every comparison, so a range check alone would let it through
            self.add(path, f"must be a finite number, got {value!r}", _example(path, key))
            return
        if key.kind is list and key.item is not None:
            for i, item in enumerate(value):
                if not _is_kind(item, key.item):
                    self.add(path + [i], f"must be {key.item.__name__}, got {_kind_name(item)}")
            return
        if key.choices is not None and value not in key.choices:
            options = ", ".join(repr(c) for c in key.choices)
            self.add(path, f"{_short(value)} is not one of {options}", suggest(str(value)[:80], [str(c) for c in key.choices]))
            return
        if key.minimum is not None and value < key.minimum or key.maximum is not None and value > key.maximum:
            self.add(path, f"{value!r} is out of range: {_range(key)}")
        elif key.kind is str and not value.strip():
            self.add(path, "must not be empty")

    def _unknown(self, key: str, table: Table, path: list[str | int]) -> None:
        hint = suggest(key, list(table.keys)) or "known keys: " + ", ".join(sorted(table.keys))
        self.add(path + [key], "unknown key", hint)

    def add(self, path: list[str | int], message: str, hint: str = "") -> None:
        where = self.locate(path) if self.locate else None
        line, column = where if where else (None, None)
        self.problems.append(Problem(self.file, dotted(path), message, hint, line, column))
        self.paths.append(list(path))


def dotted(path: list[str | int]) -> str:
    """["sound", 2, "output", "fade_in"] -> "sound[2].output.fade_in"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _is_kind(value: Any, kind: type) -> bool:
    if isinstance(value, bool):
        return kind is bool  # TOML booleans are Python ints; never accept them as numbers
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def _short(value: Any) -> str:
    """A value as written, cut short: a hostile one can be huge or nested very deep."""
    if isinstance(value, (list, dict)):
        return "[...]" if isinstance(value, list) else "{...}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _kind_label(key: Key) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}[key.kind]


def _kind_name(value: Any) -> str:
    return {bool: "boolean", str: "string", int: "integer", float: "number", list: "array", dict: "table"}.get(
        type(value), type(value).__name__
    )


def _example(path: list[str | int], key: Key) -> str:
    name = str(path[-1])
    if key.kind is str:
        return f'quote it: {name} = "..."'
    if key.kind in (int, float) and key.default is not None:
        return f"for example {name} = {key.default}"
    return ""


def _range(key: Key) -> str:
    if key.minimum is None:
        return f"at most {_fmt(key.maximum)}"
    if key.maximum is None:
        return f"at least {_fmt(key.minimum)}"
    return f"{_fmt(key.minimum)} to {_fmt(key.maximum)}"


def _fmt(x: float | None) -> str:
    return str(int(x)) if x is not None and float(x).is_integer() else str(x)


def defaults(table: Table) -> dict[str, Any]:
    """The built-in default of every key that has one, nested like the table."""
    out: dict[str, Any] = {}
    for name, spec in table.keys.items():
        if isinstance(spec, Table):
            out[name] = defaults(spec)
        elif isinstance(spec, Key) and spec.default is not None:
            out[name] = spec.default
    return out


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key, anything else in `over` wins."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
