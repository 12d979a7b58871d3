"""The torture corpus: hostile and broken inputs as hypothesis strategies.

Each strategy draws a `Case`: a function that damages a freshly built project in one way
(a hostile descriptor or config, a tampered lock, state folder or cache, a link, FIFO or
folder at an output path) and the command to run on it. `world.py` builds the project and
checks the invariants after each case.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from hypothesis import strategies as st
from world import IMPORT_DIR, World

# values a descriptor key may be given, the worst first
_FLOATS = st.one_of(st.sampled_from(["nan", "+nan", "-nan", "inf", "-inf", "1e309", "-0.0", "1e-320"]),
                    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr))
_INTS = st.one_of(st.sampled_from(["0", "-1", "99", "100", "2147483648", "99999999999999999999999", "0x7fffffff"]),
                  st.integers().map(str))
_STRINGS = st.one_of(
    st.sampled_from(["", " ", "../x.wav", "/etc/passwd.wav", "C:/x.wav", "ui/./jump.wav", "a//b.wav", "ui\\\\a.wav",
                     "CONIN$", "con .x", "COM\u00b9", "caf\u00e9", "cafe\u0301", ".hidden", "x" * 300,
                     "a/" * 200 + "b.wav", "door", "\u202egnp.wav", "x\\u0000y"]),
    st.text(max_size=40),
).map(lambda s: json.dumps(s, ensure_ascii=False))
_KEYS = st.sampled_from(["prompt", "duration", "seed", "variations", "name", "generation", "output", "sound",
                         "temperature", "top_k", "top_p", "cfg_coef", "backend", "model", "path", "sample_rate",
                         "bit_depth", "gain_db", "peak_db", "loudness", "true_peak_db", "fade_in", "fade_out",
                         "trim", "loop", "loop_crossfade", "unknown_key", "x"])


def _deep(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return "{a = " * depth + "1" + "}" * depth


_VALUES = st.one_of(_FLOATS, _INTS, _STRINGS, st.sampled_from(["true", "false", "[]", "{}", "[1, \"a\"]"]),
                    st.builds(_deep, st.sampled_from([3, 40, 400, 5000]), st.sampled_from(["array", "table"])))


@st.composite
def descriptor_text(draw) -> bytes:
    """A whole descriptor: key = value lines, tables and arrays of tables, then perhaps mangled."""
    lines = []
    for _ in range(draw(st.integers(0, 8))):
        shape = draw(st.sampled_from(["pair", "pair", "pair", "table", "array"]))
        if shape == "pair":
            lines.append(f"{draw(_KEYS)} = {draw(_VALUES)}")
        elif shape == "table":
            lines.append(f"[{draw(_KEYS)}]")
        else:
            lines.append("[[sound]]")
            lines.append(f'name = {draw(_STRINGS)}')
    text = "\n".join(lines).encode("utf-8", "surrogatepass") + b"\n"
    return draw(_mangled(text))


@st.composite
def _mangled(draw, data: bytes) -> bytes:
    how = draw(st.sampled_from(["as is", "as is", "flip", "bom", "bytes", "cut"]))
    if how == "flip" and data:
        raw = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(raw) - 1))
            raw[i] = draw(st.integers(0, 255))
        return bytes(raw)
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "bytes":
        return data + draw(st.binary(max_size=40))
    if how == "cut":
        return data[: draw(st.integers(0, len(data)))]
    return data


@st.composite
def many_tables(draw) -> bytes:
    """Thousands of [[sound]] tables, each wrong: errors must cost linear time."""
    count = draw(st.sampled_from([2000, 6000]))
    body = draw(st.sampled_from(['x=1\n', '', 'prompt="p"\nvariations=99\n', 'prompt="p"\nduration=nan\n']))
    return "".join(f'[[sound]]\nname="s{i}"\n{body}' for i in range(count)).encode()[: 250 * 1024]


_NAMES = st.one_of(st.sampled_from(["hostile", "CON", "a b", "caf\u00e9", "cafe\u0301", "x" * 200]),
                   st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/\\\x00"),
                           min_size=1, max_size=20))


@dataclass
class Case:
    """One hostile change to a built project, and the command run after it."""

    label: str
    damage: Callable[[World], None]
    command: tuple[str, ...]
    config_broken: bool = False  # nothing can build: the error must name sfx-pipeline.toml
    user_owned: list[str] = field(default_factory=list)  # files the case wrote that repair restores


_COMMANDS = st.sampled_from([("build",), ("build", "--force"), ("build", "--prune", "--force"), ("status",),
                             ("build", "--prune")])


@st.composite
def hostile_descriptors(draw) -> Case:
    data = draw(st.one_of(descriptor_text(), descriptor_text(), many_tables()))
    name = draw(_NAMES)
    folder = draw(st.sampled_from(["sfx", "sfx/ui", "sfx/deep/er"]))

    def damage(world: World) -> None:
        path = world.root / folder / f"{name}.sfx.toml"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        except OSError:  # a name this file system refuses: nothing to test
            pass
    return Case("descriptor", damage, draw(_COMMANDS))


@st.composite
def hostile_configs(draw) -> Case:
    key = draw(st.sampled_from(["import_dir", "descriptor_dirs", "cache_dir", "engine", "[defaults]\nduration",
                                "[defaults.output]\nfade_out", "[defaults.output]\nloop", "[generator]\nbackend",
                                "[defaults.generation]\ntemperature"]))
    value = draw(st.one_of(_VALUES, st.sampled_from(['"/dev/null"', '"/proc/self"', '"project.godot"',
                                                      '"audio//sfx"', '"./audio"', '["sfx", "sfx"]', '["."]'])))
    base = draw(st.sampled_from(["keep", "replace"]))

    def damage(world: World) -> None:
        config = world.root / "sfx-pipeline.toml"
        text = config.read_text() if base == "keep" else 'engine = "godot"\n'
        if "\n" in key:
            text += f"\n{key} = {value}\n"
        else:
            text = f"{key} = {value}\n" + text
        config.write_bytes(text.encode("utf-8", "surrogatepass"))
    return Case("config", damage, draw(_COMMANDS), config_broken=True)


_LOCK_PATHS = ["project.godot", ".git/config", "sfx/door.sfx.toml", "sfx-pipeline.toml", "../outside/secret.wav",
               "{outside}/secret.wav", f"{IMPORT_DIR}//door.wav", f"{IMPORT_DIR}/./door.wav",
               f"{IMPORT_DIR.upper()}/DOOR.WAV", f"{IMPORT_DIR}/theme.wav", f"{IMPORT_DIR}/../README.wav",
               ".sfx-pipeline/digests.json", f"{IMPORT_DIR}/cafe\u0301.wav"]


@st.composite
def tampered_locks(draw) -> Case:
    how = draw(st.sampled_from(["field", "path", "path", "deep", "bytes", "shape", "directory", "fifo"]))
    path = draw(st.sampled_from(_LOCK_PATHS))
    field_name = draw(st.sampled_from(["generation", "render", "batch", "output_digest", "seed", "placeholder",
                                       "descriptor", "accepted", "extra"]))
    value = draw(st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2),
                           st.just({"a": 1}), st.booleans()))
    digest_from = draw(st.sampled_from(["door", "own", "random"]))
    junk = draw(st.binary(max_size=60))

    def damage(world: World) -> None:
        lock = world.root / "sfx-pipeline.lock"
        doc = json.loads(lock.read_text())
        assets = doc["assets"]
        first = sorted(assets)[0]
        if how == "field":
            assets[first][field_name] = value
        elif how == "path":
            listed = path.format(outside=world.outside.as_posix())
            entry = dict(assets[f"{IMPORT_DIR}/door.wav"])
            target = (world.root / listed) if not listed.startswith("/") else Path(listed)
            if digest_from == "own" and target.is_file():
                from sfx_pipeline.hashing import digest
                entry["output_digest"] = digest(target.read_bytes())
            elif digest_from == "random":
                entry["output_digest"] = "0" * 32
            assets[listed] = entry
        elif how == "deep":
            lock.write_text('{"format": 1, "assets": ' + "[" * 50_000 + "]" * 50_000 + "}")
            return
        elif how == "bytes":
            lock.write_bytes(lock.read_bytes()[: len(junk)] + junk)
            return
        elif how == "shape":
            doc["assets"] = value
        elif how == "directory":
            lock.unlink()
            lock.mkdir()
            return
        elif how == "fifo" and hasattr(os, "mkfifo"):
            lock.unlink()
            os.mkfifo(lock)
            return
        lock.write_text(json.dumps(doc))
    return Case("lock", damage, draw(_COMMANDS))


@st.composite
def tampered_state(draw) -> Case:
    memo = draw(st.sampled_from(["digests.json", "descriptors.json", "keys.json", "build.lock", ""]))
    how = draw(st.sampled_from(["json", "bytes", "deep", "directory", "fifo", "link-out"]))
    value = draw(st.recursive(st.none() | st.integers() | st.text(max_size=4),
                              lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=20), inner,
                                                                                          max_size=3), max_leaves=8))
    junk = draw(st.binary(max_size=40))

    def damage(world: World) -> None:
        state = world.root / ".sfx-pipeline"
        path = state / memo if memo else state
        if how in ("directory", "fifo", "link-out") or not memo:
            _remove(path)
        if how == "json" and memo:
            if isinstance(value, dict) and memo != "build.lock":
                value.setdefault("files", {"sfx/door.sfx.toml": [1, 2, 3, value.get("x")]})
            path.write_text(json.dumps(value))
        elif how == "bytes" and memo:
            path.write_bytes(junk)
        elif how == "deep":
            if memo:
                path.write_text("[" * 50_000 + "]" * 50_000)
            else:
                path.write_text("a file where the state folder was")
        elif how == "directory":
            (path / "inner").mkdir(parents=True)
        elif how == "fifo" and hasattr(os, "mkfifo"):
            path.parent.mkdir(parents=True, exist_ok=True)
            os.mkfifo(path)
        elif how == "link-out":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(world.outside / ("secret.txt" if memo else ""))
    return Case("state", damage, draw(_COMMANDS))


@st.composite
def tampered_caches(draw) -> Case:
    how = draw(st.sampled_from(["blob-name", "swap", "json", "truncate-blob", "directory", "root-file", "links"]))
    value = draw(st.one_of(st.none(), st.integers(), st.text(max_size=8), st.just({"blob": 3})))
    seed = draw(st.integers(0, 2**16))

    def damage(world: World) -> None:
        rng = random.Random(seed)
        manifests = sorted(world.cache.glob("*/*/*.json"))
        blobs = sorted(p for p in world.cache.glob("blobs/*/*"))
        if how == "blob-name":
            for m in manifests:
                record = json.loads(m.read_text())
                record["blob"] = rng.choice([str(world.outside / "secret.txt"), "../../secret", str(world.root /
                                                                                                   "project.godot")])
                m.write_text(json.dumps(record))
        elif how == "swap" and len(manifests) > 1:
            texts = [m.read_text() for m in manifests]
            rng.shuffle(texts)
            for m, text in zip(manifests, texts):
                m.write_text(text)
        elif how == "json":
            for m in manifests:
                m.write_text(json.dumps(value))
        elif how == "truncate-blob":
            for b in blobs:
                b.write_bytes(b.read_bytes()[: rng.randrange(max(1, b.stat().st_size))])
        elif how == "directory":
            for p in manifests + blobs:
                p.unlink()
                p.mkdir()
        elif how == "root-file":
            shutil.rmtree(world.cache)
            world.cache.write_text("not a cache")
        elif how == "links":
            for b in blobs:
                b.unlink()
                b.symlink_to(world.outside / "secret.txt")
    return Case("cache", damage, draw(_COMMANDS))


@st.composite
def hostile_filesystem(draw) -> Case:
    output = draw(st.sampled_from([f"{IMPORT_DIR}/door.wav", f"{IMPORT_DIR}/ui/coin.wav"]))
    what = draw(st.sampled_from(["link-project", "link-outside", "dangling-outside", "fifo", "directory",
                                 "import-link", "descriptor-loop", "foreign-file", "copy-of-other", "deep-folders"]))

    def damage(world: World) -> None:
        path = world.root / output
        if what in ("link-project", "link-outside", "dangling-outside", "fifo", "directory", "foreign-file",
                    "copy-of-other"):
            _remove(path)
        if what == "link-project":
            path.symlink_to(world.root / "project.godot")
        elif what == "link-outside":
            path.symlink_to(world.outside / "secret.wav")
        elif what == "dangling-outside":
            path.symlink_to(world.outside / "not-there.wav")
        elif what == "fifo" and hasattr(os, "mkfifo"):
            os.mkfifo(path)
        elif what == "directory":
            path.mkdir()
        elif what == "foreign-file":
            path.write_bytes(b"my own sound, not a WAV")
        elif what == "copy-of-other":
            shutil.copy(world.root / f"{IMPORT_DIR}/rain.wav", path)
        elif what == "import-link":
            moved = world.outside / "moved-import"
            _remove(moved)
            shutil.move(world.root / IMPORT_DIR, moved)
            (world.root / IMPORT_DIR).symlink_to(moved, target_is_directory=True)
        elif what == "descriptor-loop":
            (world.root / "sfx/loop").symlink_to(world.root / "sfx", target_is_directory=True)
            (world.root / "sfx/l1.sfx.toml").symlink_to(world.root / "sfx/l2.sfx.toml")
            (world.root / "sfx/l2.sfx.toml").symlink_to(world.root / "sfx/l1.sfx.toml")
        elif what == "deep-folders":
            deep = world.root / "sfx"
            try:
                for _ in range(60):
                    deep = deep / ("d" * 80)
                    deep.mkdir()
                (deep / "x.sfx.toml").write_text('prompt = "x"\n')
            except OSError:
                pass
    return Case("filesystem", damage, draw(_COMMANDS))


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


ALL = {"descriptor": hostile_descriptors(), "config": hostile_configs(), "lock": tampered_locks(),
       "state": tampered_state(), "cache": tampered_caches(), "filesystem": hostile_filesystem()}
