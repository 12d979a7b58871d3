"""Which model exactly: the part of the generation key that names the weights.

A hub model is named by its commit (read from the local hub cache, or asked of the hub
once when nothing is cached yet), so a new upload regenerates and an unchanged one never
does. A local folder is named by a digest of its two files, remembered by path, size and
mtime: gigabytes are hashed once, not on every build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import xxhash

from sfx_pipeline.atomic import write_atomic
from sfx_pipeline.errors import ModelUnavailable
from sfx_pipeline.generators.audiogen.availability import (
    COMPRESSION_FILE,
    LM_FILE,
    find_weights,
    hub_offline,
    is_local,
)

_CHUNK = 8 * 1024 * 1024


def model_identity(model: str, cache_dir: Path) -> str:
    if is_local(model):
        return "local:" + _folder_fingerprint(Path(model).expanduser().resolve(), cache_dir / "models.json")
    weights = find_weights(model)
    revision = weights.revision if weights else _hub_revision(model)
    return f"{model}@{revision}"


def _hub_revision(model: str) -> str:
    """The commit a first download would fetch; asked once, before the weights are cached."""
    if hub_offline():
        raise ModelUnavailable(f"weights for {model} are not in the local cache and HF_HUB_OFFLINE is set",
                               f"run `huggingface-cli download {model}` where the hub is reachable")
    try:
        from huggingface_hub import HfApi

        sha = HfApi().model_info(model).sha
    except Exception as exc:  # network, auth, unknown repo: all mean "cannot tell which model"
        raise ModelUnavailable(f"cannot reach the model hub to look up {model}: {exc}",
                               "check the model id and your connection, or download it with huggingface-cli") from exc
    if not sha:
        raise ModelUnavailable(f"the hub gave no revision for {model}")
    return sha


def _folder_fingerprint(folder: Path, memo_path: Path) -> str:
    files = [folder / LM_FILE, folder / COMPRESSION_FILE]
    try:
        stats = [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in files]
    except FileNotFoundError as exc:
        raise ModelUnavailable(f"model folder {folder} lacks {Path(exc.filename).name}",
                               "point [generator] model at a folder in audiocraft's release format") from None
    memo = _read_memo(memo_path)
    known = memo.get(str(folder))
    # The memo is ours but untrusted like any file on disk: an entry of the wrong shape is a miss.
    remembered = known.get("fingerprint") if isinstance(known, dict) and known.get("files") == stats else None
    if isinstance(remembered, str):
        return remembered
    hasher = xxhash.xxh3_128()
    for f in files:
        with f.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                hasher.update(chunk)
    fingerprint = hasher.hexdigest()
    memo[str(folder)] = {"files": stats, "fingerprint": fingerprint}
    write_atomic(memo_path, json.dumps(memo, indent=1, sort_keys=True).encode(), durable=False)
    return fingerprint


def _read_memo(path: Path) -> dict[str, Any]:
    try:
        memo = json.loads(path.read_text(encoding="utf-8"))
        return memo if isinstance(memo, dict) else {}
    except (FileNotFoundError, ValueError):
        return {}
