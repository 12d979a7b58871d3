"""`sfx-pipeline.lock`: what was built, from what, committed next to the WAVs.

Deterministic JSON (sorted keys, two-space indent, one field a line) so a review diff
shows exactly which asset changed and why. With the lock and the WAVs committed, a
teammate's first build regenerates nothing: every key and output digest already match.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.errors import UserError
from sfx_pipeline.frozen import from_mapping
from sfx_pipeline.hashing import digest
from sfx_pipeline.names import LOCK_NAME
from sfx_pipeline.untrusted import MAX_DEPTH, check_dict, depth, flat, normal_output, read_regular

FORMAT = 1
MAX_BYTES = 1 << 30  # about 700,000 assets; a bigger file is not a lock
_RECOVER = "delete it: outputs that match their descriptors are recognised again by the next build"


@dataclass(frozen=True)
class LockEntry:
    descriptor: str
    entry: str
    name: str
    backend: str
    placeholder: bool
    model: str
    seed: int
    generation_key: str
    render_key: str
    output_digest: str
    generation: dict[str, Any]  # the fields behind generation_key, so changes can be named
    render: dict[str, Any]  # the fields behind render_key, less the generation key
    batch: dict[str, Any] = field(default_factory=dict)  # how it was generated, when that matters
    accepted: bool = False  # the output is a hand edit kept with `sfx-pipeline accept`

    def to_json(self) -> dict[str, Any]:
        # Shallow, unlike dataclasses.asdict (which deep-copies every value and took 0.35 s
        # for 5,000 entries): the document is only ever serialized.
        doc = {name: getattr(self, name) for name in _ENTRY_FIELDS}
        if not self.accepted:
            del doc["accepted"]  # written only when true: locks of projects that never accept stay as they were
        return doc


_ENTRY_FIELDS = tuple(f.name for f in fields(LockEntry))


@dataclass
class Lock:
    assets: dict[str, LockEntry] = field(default_factory=dict)  # by output path
    reproducibility: dict[str, str] = field(default_factory=dict)  # backend -> what it promises
    rewrite: bool = field(default=False, compare=False)  # a path was respelled: write the file in normal form
    # The digest of the bytes this lock was read from ("" when it was not read from a file).
    # Equal bytes are the same lock, as long as nothing was folded in since (see `rewrite`).
    source_digest: str = field(default="", compare=False)

    def copy(self) -> Lock:
        """Another Lock with the same entries (they are frozen: sharing them is safe)."""
        return Lock(dict(self.assets), dict(self.reproducibility), self.rewrite, self.source_digest)

    def to_json(self) -> str:
        """The file's text: what `json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)`
        writes for the whole document (a test holds the two equal), put together from each
        entry's own text. An entry's text is kept while the entry lives (`_written`), so
        writing the lock again, as `watch` does after every save, re-encodes only the entries
        that changed: the stdlib encodes an indented document in Python, not in C, and at
        5,000 sounds that was 0.4 s of each rebuild."""
        rest = tail_text(self.reproducibility)
        if not self.assets:
            return '{\n  "assets": {},\n' + rest
        assets = ",\n".join(entry_text(path, self.assets[path]) for path in sorted(self.assets))
        return '{\n  "assets": {\n' + assets + "\n  },\n" + rest


def entry_text(path: str, entry: LockEntry) -> str:
    """One asset as `Lock.to_json` writes it: its key line, indented, to its closing brace."""
    return key_text(path) + _written(entry)[0]


def key_text(path: str) -> str:
    """What comes before an entry's brace in `Lock.to_json`'s text: its indent and key."""
    return f"    {_ENCODER.encode(path)}: "


def tail_text(reproducibility: dict[str, str]) -> str:
    """What `Lock.to_json` writes after the assets: the format and the backends' promises."""
    return _ENCODER.encode({"format": FORMAT, "reproducibility": reproducibility})[2:] + "\n"  # past its "{\n"


_ENCODER = json.JSONEncoder(indent=2, sort_keys=True, ensure_ascii=False)
# id(entry) -> (a weak reference to it, its text as nested in the file, whether that text
# reads back as the same entry: `_plain`). The reference's callback drops the row when the
# entry is freed, so an id is never met again for another entry, and the texts of a long
# `watch` do not pile up. Entries are frozen and their dicts never changed once made (the
# same promise `Lock.copy` rests on).
_WRITTEN: dict[int, tuple[weakref.ref[LockEntry], str, bool]] = {}


def _written(entry: LockEntry) -> tuple[str, bool]:
    known = _WRITTEN.get(id(entry))
    if known is not None and known[0]() is entry:
        return known[1], known[2]
    key = id(entry)
    text = _ENCODER.encode(entry.to_json()).replace("\n", "\n    ")  # two levels in: assets, then the path
    plain = _plain(entry)
    _WRITTEN[key] = (weakref.ref(entry, lambda _: _WRITTEN.pop(key, None)), text, plain)
    return text, plain


def load(path: Path) -> Lock:
    try:
        raw = read_regular(path, MAX_BYTES)
    except FileNotFoundError:
        return Lock()
    except OSError as exc:
        raise UserError(f"{LOCK_NAME} cannot be read: {exc.strerror or exc}",
                        f"make it a readable file: restore it from version control, or {_RECOVER}") from exc
    source = digest(raw)
    known = _recalled(path, source)
    if known is not None:
        return known
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{LOCK_NAME} is not UTF-8 text ({exc.reason} at byte {exc.start})",
                        f"restore it from version control, or {_RECOVER}") from exc
    try:
        lock = _parse(text)
    except (ValueError, RecursionError) as exc:
        hint = "resolve the merge conflict in it" if "<<<<<<<" in text else "restore it from version control"
        raise UserError(
            f"{LOCK_NAME} cannot be read: {exc}",
            f"{hint}, or {_RECOVER}",
        ) from exc
    _remember(path, source, lock)
    lock.source_digest = source
    return lock


def _parse(text: str) -> Lock:
    doc = json.loads(text)
    if not isinstance(doc, dict):
        raise ValueError(f"expected a JSON object, got {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise ValueError(f"unknown format {doc.get('format')!r}")
    assets, reproducibility = doc.get("assets"), doc.get("reproducibility", {})
    if not isinstance(assets, dict):
        raise ValueError("assets must be an object")
    lock = Lock()
    if isinstance(reproducibility, dict):
        lock.reproducibility = {k: v for k, v in reproducibility.items() if isinstance(v, str)}
    for written in sorted(assets):
        _add(lock, written, assets[written])
    return lock


_FIELDS: dict[str, Any] = {"descriptor": str, "entry": str, "name": str, "backend": str, "placeholder": bool,
                           "model": str, "seed": int, "generation_key": str, "render_key": str,
                           "output_digest": str, "generation": dict, "render": dict}
_FIELD_NAMES, _FIELD_KINDS = tuple(_FIELDS), tuple(_FIELDS.values())
_KNOWN = {f.name for f in fields(LockEntry)}
_NESTED = ("generation", "render", "batch")  # free-form objects: bounded in depth before use
_ENTRY_DEPTH = 3  # the file's object, "assets", the entry: what an entry's own nesting adds to


def _add(lock: Lock, written: str, value: Any) -> None:
    """One asset of the file, checked before anything can act on it. A path that is not a
    .wav inside the project (a bad merge, or a pull request listing `project.godot` so that
    `--prune` would delete it) refuses the whole file: no entry of it is trusted then."""
    path, entry = checked_entry(written, value)
    if path in lock.assets:
        raise ValueError(f"asset {written!r} is another spelling of {path!r}")
    lock.rewrite |= path != written
    lock.assets[path] = entry


def checked_entry(written: str, value: Any) -> tuple[str, LockEntry]:
    """(the path in normal form, the entry) from untrusted JSON; ValueError says what is wrong."""
    path = normal_output(written)
    if path is not None and _well_formed(value):
        return path, _entry(value)  # every run reads every entry: the common case stays cheap
    why = check_dict(value, _FIELDS)
    if path is None:
        why = "is not a .wav path inside the project"
    elif why is None and set(value) - _KNOWN:
        why = f"has unknown fields {', '.join(sorted(set(value) - _KNOWN))}"
    elif why is None and not isinstance(value.get("batch", {}), dict):
        why = "batch must be an object"
    elif why is None and not isinstance(value.get("accepted", False), bool):
        why = "accepted must be true or false"
    elif why is None and _too_deep(value):
        why = f"is nested more than {MAX_DEPTH} levels deep"
    if why is not None or path is None:  # (a None path always has its why)
        raise ValueError(f"asset {written!r} {why}")
    return path, LockEntry(**value)


def _entry(value: dict[str, Any]) -> LockEntry:
    """LockEntry(**value) for a well-formed entry, at a fraction of the frozen __init__'s cost
    (see frozen.py); the defaults a written entry leaves out are filled in first."""
    if len(value) != len(_ENTRY_FIELDS):
        value = {"batch": {}, "accepted": False, **value}  # a fresh dict each time, as default_factory gives
    return from_mapping(LockEntry, value)


def _well_formed(value: Any) -> bool:
    """Exactly the fields and types an entry has. JSON gives exact types, so `type is`
    suffices (and keeps bools from passing as ints); anything else takes the slow path,
    which names what is wrong."""
    # The field types as one tuple built in C (a missing field gives NoneType, never a kind
    # listed): a per-field generator cost more than the JSON parse of the entry itself.
    return (type(value) is dict and value.keys() <= _KNOWN
            and tuple(map(type, map(value.get, _FIELD_NAMES))) == _FIELD_KINDS
            and type(value.get("batch", _EMPTY)) is dict and type(value.get("accepted", False)) is bool
            and not _too_deep(value))


_EMPTY: dict[str, Any] = {}


def _too_deep(value: dict[str, Any]) -> bool:
    for name in _NESTED:  # a plain loop: this runs for every entry of every lock read
        inner = value.get(name)
        if type(inner) is dict and not flat(inner) and depth(inner) + _ENTRY_DEPTH > MAX_DEPTH:
            return True
    return False


def save(path: Path, lock: Lock) -> None:
    data = lock.to_json().encode("utf-8")
    try:
        unchanged = path.read_bytes() == data  # a no-op build leaves the file, and its mtime, alone
    except FileNotFoundError:
        unchanged = False
    if not unchanged:
        write_atomic(path, data)
    if _reads_back_equal(lock):
        _remember(path, digest(data), lock)


# The last lock this process read or wrote at each path, by the digest of its bytes. A build
# plans once more right after writing the lock, and `watch` plans on every change: the same
# bytes are the same lock, so they are neither parsed nor checked again.
_known: dict[str, tuple[str, Lock]] = {}


def _recalled(path: Path, source: str) -> Lock | None:
    known = _known.get(str(path))
    return known[1].copy() if known is not None and known[0] == source else None


def _remember(path: Path, source: str, lock: Lock) -> None:
    # In path order, as `load` gives them: a plan looks outputs up by folded path, and of two
    # spellings of one path the last seen wins there.
    _known[str(path)] = (source, Lock(dict(sorted(lock.assets.items())), dict(lock.reproducibility),
                                      lock.rewrite, source))


def _reads_back_equal(lock: Lock) -> bool:
    """Would parsing the written text give back `lock` itself? Yes when every free-form field
    holds only JSON's own scalar types: a tuple, say, would be read back as a list."""
    return not lock.rewrite and all(_written(entry)[1] for entry in lock.assets.values())


def _plain(entry: LockEntry) -> bool:
    return all(_SCALAR_TYPES.issuperset(map(type, getattr(entry, name).values())) for name in _NESTED)


_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
