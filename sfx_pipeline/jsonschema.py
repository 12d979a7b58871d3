"""A JSON Schema for `*.sfx.toml`, generated from the same tables the validator uses.

Editors with TOML language support (Even Better TOML / taplo in VS Code, JetBrains with
taplo, Helix, Zed…) complete keys, show each key's meaning and flag wrong values as you
type. `init` and `sfx-pipeline schema --write` put the schema and a `.taplo.toml` that
points `**/*.sfx.toml` at it into the project root.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sfx_pipeline import schema
from sfx_pipeline.atomic import write_atomic

SCHEMA_FILE = "sfx-pipeline.schema.json"
TAPLO_FILE = ".taplo.toml"
TAPLO = f"""\
# Editors with TOML support (Even Better TOML, taplo) complete and check sound descriptors
# with this schema. Written by sfx-pipeline; `sfx-pipeline schema --write` refreshes it.
[[rule]]
include = ["**/*.sfx.toml"]

[rule.schema]
path = "./{SCHEMA_FILE}"
"""
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


def descriptor_schema() -> dict[str, Any]:
    doc = _table(schema.DESCRIPTOR)
    doc["$schema"] = "http://json-schema.org/draft-07/schema#"
    doc["title"] = "sfx-pipeline sound descriptor"
    doc["anyOf"] = [{"required": ["prompt"]}, {"required": ["sound"]}]  # one sound, or [[sound]] tables
    return doc


def write(root: Path) -> list[str]:
    """Write the schema (always current) and the taplo config (only if absent) into `root`."""
    written = [SCHEMA_FILE]
    write_atomic(root / SCHEMA_FILE, (json.dumps(descriptor_schema(), indent=2) + "\n").encode("utf-8"))
    if not (root / TAPLO_FILE).exists():
        (root / TAPLO_FILE).write_text(TAPLO, encoding="utf-8", newline="\n")
        written.append(TAPLO_FILE)
    return written
