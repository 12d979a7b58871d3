"""A JSON Schema for `*.sfx.toml`, generated from the same tables the validator uses.

Editors with TOML language support (Even Better TOML / taplo in VS Code, JetBrains with
taplo, Helix, Zed…) complete keys, show each key's meaning and flag wrong values as you
type. `init` and `sfx-pipeline schema --write` put the schema and a `.taplo.toml` that
points `**/*.sfx.toml` at it into the project root.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sfx_pipeline import paths, schema
from sfx_pipeline.atomic import write_atomic

SCHEMA_FILE = "sfx-pipeline.schema.json"
CONFIG_SCHEMA_FILE = "sfx-pipeline.config.schema.json"
TAPLO_FILE = ".taplo.toml"
TAPLO = f"""\
# Editors with TOML support (Even Better TOML, taplo) complete and check sound descriptors
# and the project config with these schemas. Written by sfx-pipeline; `sfx-pipeline schema
# --write` refreshes them.
[[rule]]
include = ["**/*.sfx.toml"]

[rule.schema]
path = "./{SCHEMA_FILE}"

[[rule]]
include = ["sfx-pipeline.toml"]

[rule.schema]
path = "./{CONFIG_SCHEMA_FILE}"
"""

# The validator's rules that span keys, as far as JSON Schema draft 7 can say them (it
# cannot compare two values, so "loop_crossfade at most half the duration" stays the
# validator's alone). Patterns use no lookahead: editors' schema engines differ there.
_RESERVED = "|".join("".join(f"[{c.upper()}{c}]" if c.isascii() and c.isalpha() else re.escape(c) for c in name)
                     for name in sorted(paths.WINDOWS_RESERVED))
_NAME_RULES = {
    "minLength": 1, "maxLength": paths.MAX_NAME,
    "not": {"anyOf": [
        {"pattern": r'[<>:"/\\|?*\u0000-\u001f]'},  # Windows refuses these; '/' would make a folder
        {"pattern": r"^[. ]|[. ]$"},  # hidden from the engines, or dropped by Windows
        {"pattern": r"\.\."},
        {"pattern": f"^({_RESERVED})(\\.|$)"},  # CON, LPT1…: device names on Windows
    ]},
}
_PATH_RULES = {
    "pattern": r"^[^/\\]",  # relative, '/'-separated
    "not": {"anyOf": [{"pattern": r"(^|/)\.\.(/|$)"}, {"pattern": r"\\"}, {"pattern": r"^[A-Za-z]:"}]},
}
_ONE_LEVEL = {"allOf": [
    {"if": {"required": [a]}, "then": {"not": {"required": [b]}}}
    for a, b in (("loudness", "peak_db"), ("loudness", "gain_db"), ("peak_db", "gain_db"))
]}
_LOOP_WITHOUT_FADES = {
    "if": {"properties": {"loop": {"const": True}}, "required": ["loop"]},
    "then": {"properties": {"fade_in": {"maximum": 0}, "fade_out": {"maximum": 0}}},
}
_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", list: "array"}


def _key(key: schema.Key) -> dict[str, Any]:
    out: dict[str, Any] = {"type": _TYPES[key.kind], "description": key.doc}
    if key.kind is list and key.item is not None:
        out["items"] = {"type": _TYPES[key.item]}
    if key.choices is not None:
        out["enum"] = list(key.choices)
    if key.minimum is not None:
        out["minimum"] = key.minimum
    if key.maximum is not None:
        out["maximum"] = key.maximum
    if key.default is not None:
        out["default"] = key.default
    return out


def _table(table: schema.Table) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name, spec in table.keys.items():
        if isinstance(spec, schema.Table):
            properties[name] = _table(spec)
        elif isinstance(spec, schema.ArrayOfTables):
            item = _table(spec.table)
            item["required"] = ["name", "prompt"]
            properties[name] = {"type": "array", "description": spec.doc, "items": item, "minItems": 1}
        else:
            properties[name] = _key(spec)
    return {"type": "object", "description": table.doc, "properties": properties, "additionalProperties": False}


def _sound_rules(table: dict[str, Any]) -> None:
    """The cross-key rules of one sound's table (the file's top level, or a [[sound]])."""
    props = table["properties"]
    props["name"].update(_NAME_RULES)
    props["output"]["properties"]["path"].update(_PATH_RULES)
    props["output"]["allOf"] = [*_ONE_LEVEL["allOf"], _LOOP_WITHOUT_FADES]


def descriptor_schema() -> dict[str, Any]:
    doc = _table(schema.DESCRIPTOR)
    doc["$schema"] = "http://json-schema.org/draft-07/schema#"
    doc["title"] = "sfx-pipeline sound descriptor"
    _sound_rules(doc)
    _sound_rules(doc["properties"]["sound"]["items"])
    # One sound, or [[sound]] tables. Said as if/then, so a missing prompt is reported as
    # "'prompt' is a required property" rather than "not valid under any of the schemas".
    doc["if"] = {"not": {"required": ["sound"]}}
    doc["then"] = {"required": ["prompt"]}
    return doc


def config_schema() -> dict[str, Any]:
    """sfx-pipeline.toml, from the table its validator uses."""
    doc = _table(schema.CONFIG)
    doc["$schema"] = "http://json-schema.org/draft-07/schema#"
    doc["title"] = "sfx-pipeline project config (sfx-pipeline.toml)"
    props = doc["properties"]
    props["import_dir"].update(_PATH_RULES)  # cache_dir may be absolute: not these
    props["descriptor_dirs"]["items"].update(_PATH_RULES)
    props["defaults"]["properties"]["output"].update(_ONE_LEVEL)
    return doc


def write(root: Path) -> list[str]:
    """Write the schema (always current) and the taplo config (only if absent) into `root`."""
    written = [SCHEMA_FILE, CONFIG_SCHEMA_FILE]
    write_atomic(root / SCHEMA_FILE, (json.dumps(descriptor_schema(), indent=2) + "\n").encode("utf-8"))
    write_atomic(root / CONFIG_SCHEMA_FILE, (json.dumps(config_schema(), indent=2) + "\n").encode("utf-8"))
    if not (root / TAPLO_FILE).exists():
        (root / TAPLO_FILE).write_text(TAPLO, encoding="utf-8", newline="\n")
        written.append(TAPLO_FILE)
    return written
