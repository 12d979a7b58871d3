"""Canonical JSON and the one digest used everywhere (xxh3-128: fast, stable, 32 hex digits)."""

from __future__ import annotations

import json
from typing import Any

import xxhash


def canonical(fields: dict[str, Any]) -> str:
    """Sorted keys, no whitespace, exact floats: one text per meaning."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def digest(data: str | bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data.encode("utf-8") if isinstance(data, str) else data)


def key_of(fields: dict[str, Any]) -> str:
    return digest(canonical(fields))
