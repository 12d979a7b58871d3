"""A local model's identity: its files' fingerprint, remembered in the cache's `models.json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sfx_pipeline.generators.audiogen.availability import COMPRESSION_FILE, LM_FILE
from sfx_pipeline.generators.audiogen.identity import model_identity


def model_folder(root: Path) -> Path:
    folder = root / "model"
    folder.mkdir()
    (folder / LM_FILE).write_bytes(b"lm weights")
    (folder / COMPRESSION_FILE).write_bytes(b"codec weights")
    return folder


@pytest.mark.parametrize("entry", [["files"], "fingerprint", {"files": 3}, {"fingerprint": 7}, None])
def test_a_damaged_memo_entry_is_a_miss_not_a_crash(tmp_path: Path, entry: object) -> None:
    folder, cache = model_folder(tmp_path), tmp_path / "cache"
    cache.mkdir()
    fresh = model_identity(str(folder), cache)
    memo = cache / "models.json"
    remembered = json.loads(memo.read_text())
    assert list(remembered) == [str(folder.resolve())]
    memo.write_text(json.dumps({str(folder.resolve()): entry}))  # a bad merge, a hand edit
    assert model_identity(str(folder), cache) == fresh
    assert json.loads(memo.read_text()) == remembered  # written again, whole


def test_the_memo_is_used_while_the_files_are_unchanged(tmp_path: Path) -> None:
    folder, cache = model_folder(tmp_path), tmp_path / "cache"
    cache.mkdir()
    first = model_identity(str(folder), cache)
    memo = cache / "models.json"
    entry = json.loads(memo.read_text())[str(folder.resolve())]
    entry["fingerprint"] = "remembered"
    memo.write_text(json.dumps({str(folder.resolve()): entry}))
    assert model_identity(str(folder), cache) == "local:remembered"  # same sizes and times: not read again
    assert first.startswith("local:") and first != "local:remembered"
