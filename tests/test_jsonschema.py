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


@pytest.mark.parametrize("doc", [
    {"prompt": "x", "output": {"loudness": -18, "peak_db": -1}},
    {"prompt": "x", "output": {"gain_db": -3, "peak_db": -1}},
    {"prompt": "x", "output": {"loop": True, "fade_in": 0.1}},
    {"prompt": "x", "output": {"path": "../../etc/x.wav"}},
    {"prompt": "x", "output": {"path": "/etc/x.wav"}},
    {"prompt": "x", "output": {"path": "a\\b.wav"}},
    {"prompt": "x", "name": "CON"},
    {"prompt": "x", "name": "lpt1.old"},
    {"prompt": "x", "name": "x y/z"},
    {"prompt": "x", "name": ".hidden"},
    {"sound": [{"name": "Aux", "prompt": "x"}]},
])
def test_the_schema_is_as_strict_as_the_validator_across_keys(doc: dict, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert not valid(doc)
    # ...and the validator does refuse each of them (the schema adds nothing of its own).
    game = tmp_path / "game"
    main(["init", "-q", "--engine", "generic", str(game)])
    lines = ["[[sound]]\nname = \"Aux\"\nprompt = \"x\"\n"] if "sound" in doc else [
        f"{k} = {json.dumps(v)}\n" for k, v in doc.items() if not isinstance(v, dict)] + [
        "[output]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in doc["output"].items())
        if "output" in doc else ""]
    (game / "sfx" / "probe.sfx.toml").write_text("".join(lines), encoding="utf-8")
    capsys.readouterr()
    assert main(["status", "--json", "-C", str(game), "--only", "sfx/probe.sfx.toml"]) == 1
    [error] = json.loads(capsys.readouterr().out)["assets"]
    assert error["status"] == "error" and error["problem"]["file"] == "sfx/probe.sfx.toml"


def test_what_the_validator_accepts_the_schema_accepts() -> None:
    for doc in ({"prompt": "x", "name": "door_open-2", "output": {"loudness": -18, "loop": True, "fade_in": 0}},
                {"prompt": "x", "output": {"path": "doors/open.wav", "peak_db": -1}},
                {"sound": [{"name": "a", "prompt": "x"}], "output": {"gain_db": -3}}):
        assert valid(doc), doc


def test_a_missing_prompt_says_so() -> None:
    errors = list(validator.Draft7Validator(descriptor_schema()).iter_errors({"duration": 2}))
    assert [e.message for e in errors] == ["'prompt' is a required property"]


def test_the_config_has_a_schema_too(tmp_path: Path) -> None:
    from sfx_pipeline.jsonschema import CONFIG_SCHEMA_FILE, config_schema

    game = tmp_path / "game"
    main(["init", "-q", "--engine", "godot", str(game)])
    config = tomllib.loads((game / "sfx-pipeline.toml").read_text(encoding="utf-8"))
    check = validator.Draft7Validator(config_schema())
    assert check.is_valid(config)
    assert json.loads((game / CONFIG_SCHEMA_FILE).read_text()) == config_schema()
    assert 'include = ["sfx-pipeline.toml"]' in (game / TAPLO_FILE).read_text()
    for bad in ({"engine": "godto"}, {"import_dir": "../elsewhere"}, {"generator": {"decoder": "slow"}},
                {"defaults": {"output": {"loudness": -18, "peak_db": -1}}}, {"bogus": 1}):
        assert not check.is_valid(bad), bad
