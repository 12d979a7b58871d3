"""The editor schema and the validator come from one table: they must agree."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema as validator
import pytest

from sfx_pipeline.cli import main
from sfx_pipeline.jsonschema import SCHEMA_FILE, TAPLO_FILE, descriptor_schema

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def valid(doc: dict) -> bool:
    return validator.Draft7Validator(descriptor_schema()).is_valid(doc)


def test_every_template_descriptor_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["init", "--engine", "godot", str(tmp_path / "game")])
    descriptors = list((tmp_path / "game" / "sfx").rglob("*.sfx.toml"))
    assert len(descriptors) >= 12
    for path in descriptors:
        doc = tomllib.loads(path.read_text())
        errors = list(validator.Draft7Validator(descriptor_schema()).iter_errors(doc))
        assert not errors, (path, errors[0].message)


@pytest.mark.parametrize("doc", [
    {"prompt": "x", "durration": 2},
    {"prompt": "x", "duration": 45},
    {"prompt": "x", "duration": "2"},
    {"prompt": "x", "output": {"bit_depth": 8}},
    {"prompt": "x", "output": {"fade_outt": 1}},
    {"prompt": "x", "generation": {"backend": "audiogne"}},
    {"prompt": "x", "output": {"trim": "yes"}},
    {"duration": 2},  # no prompt and no [[sound]]
    {"sound": [{"prompt": "x"}]},  # a [[sound]] without a name
    {"sound": []},
])
def test_what_the_validator_refuses_the_schema_refuses(doc: dict) -> None:
    assert not valid(doc)


def test_keys_carry_their_meaning_and_default() -> None:
    props = descriptor_schema()["properties"]
    assert props["duration"]["minimum"] == 0.5 and props["duration"]["maximum"] == 30
    assert "LUFS" in props["output"]["properties"]["loudness"]["description"]
    assert props["output"]["properties"]["sample_rate"]["default"] == 48000
    assert props["sound"]["items"]["required"] == ["name", "prompt"]


def test_init_wires_the_schema_for_editors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    game = tmp_path / "game"
    main(["init", str(game)])
    assert json.loads((game / SCHEMA_FILE).read_text()) == descriptor_schema()
    taplo = tomllib.loads((game / TAPLO_FILE).read_text())
    assert taplo["rule"][0]["include"] == ["**/*.sfx.toml"]
    assert taplo["rule"][0]["schema"]["path"] == f"./{SCHEMA_FILE}"
    (game / TAPLO_FILE).write_text("# mine\n")
    capsys.readouterr()
    assert main(["schema", "--write", "--project", str(game)]) == 0
    assert (game / TAPLO_FILE).read_text() == "# mine\n"  # a user's taplo config is theirs
    assert main(["schema"]) == 0 and json.loads(capsys.readouterr().out)["title"] == "sfx-pipeline sound descriptor"
