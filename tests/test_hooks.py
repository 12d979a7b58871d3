"""`sfx-pipeline hook install`: real files in temp projects, real parsers for GDScript and C#,
and real `build --json` documents to hold the scripts to the CLI's contract."""

from __future__ import annotations

import argparse
import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import lark
import pytest
import tree_sitter
import tree_sitter_c_sharp
import yaml
from gdtoolkit.parser import parser as gdscript
from pre_commit.clientlib import InvalidConfigError, load_config, load_manifest

from sfx_pipeline import cli, hooks
from sfx_pipeline.errors import UserError
from sfx_pipeline.hooks import precommit

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
ADDON = "addons/sfx_pipeline"
UNITY_DIR = "Assets/Editor/SfxPipeline"


# helpers ----------------------------------------------------------------------------------

@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """The real `cli.main`."""

    def call(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return call


def new_project(folder: Path, engine: str) -> Path:
    """A game project as `sfx-pipeline init` makes it, building with the offline synthesizer."""
    if engine == "unity":  # what the Unity editor creates; init only adds the config
        (folder / "Assets").mkdir(parents=True)
        (folder / "ProjectSettings").mkdir()
    assert cli.main(["init", "--engine", engine, str(folder)]) == 0
    config = folder / "sfx-pipeline.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('backend = "auto"', 'backend = "procedural"'),
                      encoding="utf-8")
    return folder


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def installed(root: Path, folder: str, suffix: str) -> list[Path]:
    files = sorted((root / folder).glob(f"*{suffix}"))
    assert files, f"no {suffix} files in {folder}"
    return files


# install, reinstall, user changes ---------------------------------------------------------

@pytest.mark.parametrize("kind, engine, expected", [
    ("godot", "godot", {f"{ADDON}/{n}" for n in ("plugin.cfg", "plugin.gd", "export_plugin.gd", "cli.gd")}),
    ("unity", "unity", {f"{UNITY_DIR}/SfxPipeline{n}.cs" for n in ("Cli", "Menu", "BuildHook", "Settings")}),
    ("pre-commit", "generic", {".pre-commit-config.yaml"}),
])
def test_install_writes_the_files_then_is_up_to_date(tmp_path: Path, run, kind: str, engine: str,
                                                     expected: set[str]) -> None:
    root = new_project(tmp_path / "game", engine)
    code, out = run("hook", "install", kind, "--project", str(root))
    assert code == 0, out
    for path in expected:
        assert (root / path).is_file(), path
        assert f"wrote {path}" in out
    before = snapshot(root)

    code, out = run("hook", "install", kind, "--project", str(root))
    assert code == 0
    assert snapshot(root) == before
    for path in expected:
        assert f"up to date {path}" in out
    assert hooks.install(kind, root) == []


@pytest.mark.parametrize("kind, engine, victim", [
    ("godot", "godot", f"{ADDON}/cli.gd"),
    ("unity", "unity", f"{UNITY_DIR}/SfxPipelineSettings.cs"),
])
def test_a_file_the_user_changed_is_kept_unless_forced(tmp_path: Path, run, kind: str, engine: str,
                                                       victim: str) -> None:
    root = new_project(tmp_path / "game", engine)
    written = hooks.install(kind, root)
    assert victim in written
    original = (root / victim).read_bytes()
    (root / victim).write_bytes(original + b"\n// my change\n")

    code, out = run("hook", "install", kind, "--project", str(root))
    assert code == 0
    assert f"kept {victim}" in out and "--force" in out
    assert (root / victim).read_bytes().endswith(b"// my change\n")

    code, out = run("hook", "install", kind, "--project", str(root), "--force")
    assert f"replaced {victim}" in out
    assert (root / victim).read_bytes() == original
    assert hooks.install(kind, root, force=True) == []  # identical files are not rewritten


def test_unknown_kind_is_an_argparse_error(run, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        run("hook", "install", "unreal")
    assert exc.value.code == 64  # a usage error (EX_USAGE)
    assert "invalid choice: 'unreal'" in capsys.readouterr().err


def test_outside_a_project_says_how_to_set_one_up(tmp_path: Path, run) -> None:
    code, out = run("hook", "install", "godot", "--project", str(tmp_path))
    assert code == 1
    assert "no sfx-pipeline.toml" in out and "sfx-pipeline init" in out


@pytest.mark.parametrize("kind, message", [("godot", "no project.godot"), ("unity", "no Assets folder")])
def test_engine_hooks_need_that_engine_s_project(tmp_path: Path, kind: str, message: str) -> None:
    root = new_project(tmp_path / "game", "generic")
    with pytest.raises(UserError, match=message):
        hooks.install(kind, root)
    assert not (root / "addons").exists() and not (root / "Assets").exists()


# Godot ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def godot_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = new_project(tmp_path_factory.mktemp("godot") / "game", "godot")
    hooks.install("godot", root)
    return root


def test_every_gdscript_file_parses_as_godot_4(godot_root: Path) -> None:
    for path in installed(godot_root, ADDON, ".gd"):
        text = path.read_text(encoding="utf-8")
        gdscript.parse(text)  # raises on any syntax error
        assert text.startswith("@tool\n"), f"{path.name}: editor scripts must be @tool"
    with pytest.raises(lark.exceptions.UnexpectedInput):  # the check itself can fail
        gdscript.parse("func broken(:\n\tpass\n")


def test_plugin_cfg_names_the_editor_plugin_script(godot_root: Path) -> None:
    cfg = configparser.ConfigParser()
    cfg.read(godot_root / ADDON / "plugin.cfg", encoding="utf-8")
    plugin = {k: v.strip('"') for k, v in cfg["plugin"].items()}
    assert {"name", "description", "author", "version", "script"} <= plugin.keys()
    script = godot_root / ADDON / plugin["script"]
    assert script.is_file()
    assert "\nextends EditorPlugin\n" in script.read_text(encoding="utf-8")


def test_gdscript_preloads_and_editor_api(godot_root: Path) -> None:
    texts = {p.name: p.read_text(encoding="utf-8") for p in installed(godot_root, ADDON, ".gd")}
    for name, text in texts.items():
        for target in re.findall(r'preload\("([^"]+)"\)', text):
            assert (godot_root / ADDON / target).is_file(), f"{name} preloads a missing {target}"
    plugin, export, cli_gd = texts["plugin.gd"], texts["export_plugin.gd"], texts["cli.gd"]
    for needle in ("add_tool_menu_item(", "remove_tool_menu_item(", "add_export_plugin(", "remove_export_plugin(",
                   "Thread.new()", "wait_to_finish()", ".call_deferred(", "AcceptDialog.new()",
                   "EditorInterface.get_resource_filesystem().scan()", '"Build sound effects"'):
        assert needle in plugin, needle
    assert "extends EditorExportPlugin" in export and "func _export_begin(" in export and "func _get_name(" in export
    assert "push_error(" in export and "push_warning(" in export and '"installed"' in export
    for needle in ('"sfx_pipeline/cli_command"', '"sfx_pipeline/python"', 'DEFAULT_CLI := "sfx-pipeline"',
                   "ProjectSettings.add_property_info(", "ProjectSettings.set_initial_value(",
                   'ProjectSettings.globalize_path("res://")', "OS.execute(", "pip install sfx-pipeline"):
        assert needle in cli_gd, needle


# Unity ------------------------------------------------------------------------------------

_CSHARP = tree_sitter.Parser(tree_sitter.Language(tree_sitter_c_sharp.language()))


def _bad_nodes(node: tree_sitter.Node) -> list[str]:
    bad = [f"{node.type} at {node.start_point}"] if node.is_error or node.is_missing else []
    for child in node.children:
        bad += _bad_nodes(child)
    return bad


@pytest.fixture(scope="module")
def unity_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = new_project(tmp_path_factory.mktemp("unity") / "game", "unity")
    hooks.install("unity", root)
    return root


def test_every_csharp_file_parses(unity_root: Path) -> None:
    for path in installed(unity_root, UNITY_DIR, ".cs"):
        tree = _CSHARP.parse(path.read_bytes())
        assert not tree.root_node.has_error and not _bad_nodes(tree.root_node), (path.name, _bad_nodes(tree.root_node))
        assert "namespace SfxPipeline" in path.read_text(encoding="utf-8")
    broken = _CSHARP.parse(b"class A { void B( { } }")
    assert _bad_nodes(broken.root_node)  # the check itself can fail


def test_csharp_uses_the_unity_editor_api(unity_root: Path) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in installed(unity_root, UNITY_DIR, ".cs"))
    for needle in ("IPreprocessBuildWithReport", "OnPreprocessBuild(BuildReport report)", "callbackOrder { get { return 0; } }",
                   "throw new BuildFailedException(", "AssetDatabase.Refresh()", '[MenuItem("Tools/Sound Effects/Build"',
                   '[MenuItem("Tools/Sound Effects/Settings…"', "EditorUtility.DisplayDialog(", "Debug.LogError(",
                   "UseShellExecute = false", "RedirectStandardOutput = true", "RedirectStandardError = true",
                   "CreateNoWindow = true", "catch (Win32Exception", "EditorPrefs.GetString(", "JsonUtility.FromJson<",
                   "Directory.GetParent(Application.dataPath).FullName", "pip install sfx-pipeline"):
        assert needle in text, needle
    keys = re.findall(r'Key = "([^"]+)"', text)
    assert keys and all(k.startswith("SfxPipeline.") for k in keys)


def _serializable_classes(root: Path) -> dict[str, dict[str, str]]:
    """{class: {field: C# type}} for every [Serializable] class: what JsonUtility reads."""
    classes: dict[str, dict[str, str]] = {}

    def visit(node: tree_sitter.Node) -> None:
        if node.type == "class_declaration" and b"[Serializable]" in node.text:
            name = node.child_by_field_name("name").text.decode()
            fields = classes.setdefault(name, {})
            for field in (n for n in node.child_by_field_name("body").children if n.type == "field_declaration"):
                declaration = next(c for c in field.children if c.type == "variable_declaration")
                kind = declaration.child_by_field_name("type").text.decode()
                for declarator in (c for c in declaration.children if c.type == "variable_declarator"):
                    fields[declarator.child_by_field_name("name").text.decode()] = kind
        for child in node.children:
            visit(child)

    for path in installed(root, UNITY_DIR, ".cs"):
        visit(_CSHARP.parse(path.read_bytes()).root_node)
    return classes


# The documents the scripts read, from real builds ----------------------------------------

@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """`build --json` run exactly as the scripts run it (`<python> -m sfx_pipeline build
    --project <abs> --json`), in a subprocess: a clean build, one with a descriptor problem,
    and a fatal one (broken config)."""
    root = new_project(tmp_path_factory.mktemp("docs") / "game", "godot")
    env = {**os.environ, "SFX_PIPELINE_CACHE": str(tmp_path_factory.mktemp("docs-cache")), "HF_HUB_OFFLINE": "1"}

    def build() -> tuple[int, dict]:
        done = subprocess.run([sys.executable, "-m", "sfx_pipeline", "build", "--project", str(root.resolve()), "--json"],
                              capture_output=True, text=True, env=env, timeout=300)
        return done.returncode, json.loads(done.stdout)  # stdout is one JSON document, nothing else

    docs = {}
    code, docs["clean"] = build()
    assert code == 0 and docs["clean"]["counts"]["installed"] > 0
    (root / "sfx" / "broken.sfx.toml").write_text("prompt = 3\n", encoding="utf-8")
    code, docs["problem"] = build()
    assert code == 1 and docs["problem"]["problems"]
    config = root / "sfx-pipeline.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\nno_such_key = 1\n", encoding="utf-8")
    code, docs["fatal"] = build()
    assert code == 1 and set(docs["fatal"]) == {"error", "hint"}
    return docs


def test_documents_have_the_promised_shape(documents: dict[str, dict]) -> None:
    doc = documents["problem"]
    assert set(doc) == {"counts", "seconds", "audio_seconds_generated", "assets", "problems", "messages", "exit_code"}
    assert set(doc["counts"]) == {"generated", "reused", "installed", "failed", "fresh", "kept", "pruned",
                                  "orphans", "errors", "placeholders"}
    assert set(doc["assets"][0]) == {"output", "outcome", "reasons", "name", "backend", "placeholder", "message"}
    assert set(doc["problems"][0]) == {"file", "key", "line", "column", "message", "hint"}
    assert doc["exit_code"] == 1


def test_gdscript_reads_only_keys_the_cli_writes(godot_root: Path, documents: dict[str, dict]) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in installed(godot_root, ADDON, ".gd"))
    reads: dict[str, set[str]] = {"data": set(), "counts": set(), "problem": set(), "asset": set()}
    for owner, key in re.findall(r'\b(data|counts|problem|asset)\s*(?:\.get\(|\.has\(|\[)\s*"(\w+)"', text):
        reads[owner].add(key)
    reads["data"] |= set(re.findall(r'result\["data"\]\.get\("(\w+)"', text))
    reads["counts"] |= set(re.findall(r'Cli\.count\(result, "(\w+)"\)', text))
    for listed in re.findall(r"for key in \[([^\]]*)\]", text):
        reads["counts"] |= set(re.findall(r'"(\w+)"', listed))
    # The extraction must see what the scripts plainly read, or this test would prove nothing.
    assert {"counts", "problems", "assets", "error", "hint", "exit_code", "seconds"} <= reads["data"]
    assert {"installed", "generated", "reused", "fresh", "errors", "placeholders"} <= reads["counts"]
    assert {"file", "line", "key", "message", "hint"} <= reads["problem"]
    assert {"outcome", "output", "message"} <= reads["asset"]

    good, fatal = documents["problem"], documents["fatal"]
    assert reads["data"] <= set(good) | set(fatal)
    assert {"error", "hint"} <= set(fatal)
    assert reads["counts"] <= set(good["counts"])
    assert reads["problem"] <= set(good["problems"][0])
    assert reads["asset"] <= set(good["assets"][0])


_JSON_TYPES = {"int": (int,), "float": (int, float), "bool": (bool,), "string": (str,)}


def test_unity_classes_match_the_documents_field_by_field(unity_root: Path, documents: dict[str, dict]) -> None:
    classes = _serializable_classes(unity_root)
    assert {"BuildDocument", "BuildCounts", "BuildAsset", "BuildProblem"} <= classes.keys()
    text = (unity_root / UNITY_DIR / "SfxPipelineCli.cs").read_text(encoding="utf-8")
    nullable_ints = set(re.search(r'new Regex\("\\"\(([\w|]+)\)', text).group(1).split("|"))
    good, fatal = documents["problem"], documents["fatal"]

    def check(cls: str, objects: list[dict]) -> None:
        for field, kind in classes[cls].items():
            present = [o for o in objects if field in o]
            assert present, f"{cls}.{field}: no such key in {sorted(set().union(*objects))}"
            for value in (o[field] for o in present):
                if value is None:  # JsonUtility cannot put null into a value type: the script rewrites it
                    assert kind == "string" or field in nullable_ints, f"{cls}.{field} is null in the CLI's JSON"
                elif kind.endswith("[]"):
                    assert isinstance(value, list)
                    if value and kind[:-2] in classes:
                        check(kind[:-2], value)
                    elif value:
                        assert all(isinstance(v, _JSON_TYPES[kind[:-2]]) for v in value), (cls, field)
                elif kind in classes:
                    check(kind, [value])
                else:
                    assert isinstance(value, _JSON_TYPES[kind]) and not (kind != "bool" and isinstance(value, bool)), \
                        f"{cls}.{field}: {kind} but the CLI writes {value!r}"

    check("BuildDocument", [good, fatal])  # one class reads both kinds of document
    assert {"error", "hint"} <= classes["BuildDocument"].keys()


def _build_options() -> set[str]:
    parser = cli.parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    build = commands.choices["build"]
    return {option for action in build._actions for option in action.option_strings}


def test_scripts_pass_only_flags_the_build_command_has(godot_root: Path, unity_root: Path) -> None:
    options = _build_options()
    texts = [p.read_text(encoding="utf-8") for p in
             installed(godot_root, ADDON, ".gd") + installed(unity_root, UNITY_DIR, ".cs")]
    # Flags in string literals: what is run, or told to the user to run (comments are not).
    literals = [lit for t in texts for lit in re.findall(r'"(?:[^"\\\n]|\\.)*"', t)]
    flags = {f for lit in literals for f in re.findall(r"(?<![\w-])--[a-z][a-z-]*", lit)}
    assert {"--project", "--json"} <= flags
    assert flags <= options, flags - options
    # The exact command lines, which the `documents` fixture runs for real.
    gd = (godot_root / ADDON / "cli.gd").read_text(encoding="utf-8")
    assert 'PackedStringArray(["build", "--project", project, "--json"])' in gd
    assert 'PackedStringArray(["-m", "sfx_pipeline"])' in gd
    cs = (unity_root / UNITY_DIR / "SfxPipelineCli.cs").read_text(encoding="utf-8")
    assert '"build --project " + SfxPipelineCli.Quote(root) + " --json"' in cs
    assert '"-m sfx_pipeline " + tail' in cs


def test_the_default_command_is_the_installed_console_script() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts.get("sfx-pipeline") == "sfx_pipeline.cli:main"


# pre-commit -------------------------------------------------------------------------------


EXISTING = """\
# See https://pre-commit.com for more information
default_stages: [pre-commit]
exclude: ^third_party/

repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
      - id: trailing-whitespace
      - id: end-of-file-fixer
        exclude: '\\.wav$'   # binary
  # formatting
  - repo: https://github.com/psf/black
    rev: 24.4.2
    hooks:
      - id: black
        args: [--line-length=110]

# CI settings
ci:
  autofix_prs: false
  skip: [black]
"""

# The same, with the list items at column 0 (both styles are common).
EXISTING_COLUMN_0 = """\
default_stages: [pre-commit]
repos:
- repo: https://github.com/pre-commit/pre-commit-hooks
  rev: v4.6.0
  hooks:
  - id: trailing-whitespace
# formatting
- repo: https://github.com/psf/black
  rev: 24.4.2
  hooks:
  - id: black

ci:
  skip: [black]
"""


def _our_hook(config: dict) -> dict:
    [repo] = [r for r in config["repos"] if any(h["id"] == precommit.HOOK_ID for h in r["hooks"])]
    assert repo["repo"] == "local"
    return repo["hooks"][0]


def test_pre_commit_config_is_created_valid(tmp_path: Path, run) -> None:
    root = new_project(tmp_path / "game", "godot")
    before = snapshot(root)
    code, out = run("hook", "install", "pre-commit", "--project", str(root))
    assert code == 0
    after = snapshot(root)
    assert {p for p in after if after[p] != before.get(p)} == {".pre-commit-config.yaml"}  # nothing else
    config = root / ".pre-commit-config.yaml"
    assert load_config(str(config))  # pre-commit's own schema check
    hook = _our_hook(yaml.safe_load(config.read_text(encoding="utf-8")))
    assert hook["entry"] == "sfx-pipeline status" and hook["language"] == "system"
    # The whole project on every commit: an edited WAV or a removed descriptor matters too.
    assert hook["pass_filenames"] is False and hook["always_run"] is True and "files" not in hook
    # The CI recipe follows, for this project's engine.
    assert "sfx-pipeline build" in out and '--export-release "<preset>"' in out and "next export" in out
    assert hooks.install("pre-commit", root) == []


@pytest.mark.parametrize("variant", ["as is", "items at column 0", "crlf, no final newline"])
def test_pre_commit_hook_is_appended_without_touching_the_users_text(tmp_path: Path, run, variant: str) -> None:
    root = new_project(tmp_path / "game", "generic")
    original = EXISTING_COLUMN_0 if variant == "items at column 0" else EXISTING
    if variant == "crlf, no final newline":
        original = original.rstrip("\n").replace("\n", "\r\n")
    config = root / ".pre-commit-config.yaml"
    config.write_bytes(original.encode())
    before = yaml.safe_load(original)

    assert hooks.install("pre-commit", root) == [".pre-commit-config.yaml"]
    text = config.read_bytes().decode()
    assert load_config(str(config))
    after = yaml.safe_load(text)
    assert after["repos"][:-1] == before["repos"] and after["ci"] == before["ci"]
    assert {k: v for k, v in after.items() if k != "repos"} == {k: v for k, v in before.items() if k != "repos"}
    _our_hook(after)
    # The new text is the user's text with one block inserted: our entry, evenly indented.
    entry, old, new = precommit.hook_entry().splitlines(), original.splitlines(), text.splitlines()
    assert len(new) == len(old) + len(entry)
    at = next(i for i in range(len(new)) if i == len(old) or new[i] != old[i])
    assert new[:at] == old[:at] and new[at + len(entry):] == old[at:]
    indent = len(new[at]) - len(entry[0])
    assert new[at:at + len(entry)] == [" " * indent + line for line in entry]
    assert indent == (0 if variant == "items at column 0" else 2)
    if "crlf" in variant:
        assert "\n" not in text.replace("\r\n", "")

    code, out = run("hook", "install", "pre-commit", "--project", str(root))
    assert code == 0 and "up to date .pre-commit-config.yaml" in out
    assert config.read_bytes().decode() == text


def test_pre_commit_without_repos_key_gets_one(tmp_path: Path) -> None:
    root = new_project(tmp_path / "game", "generic")
    (root / ".pre-commit-config.yaml").write_text("default_language_version:\n  python: python3\n", encoding="utf-8")
    hooks.install("pre-commit", root)
    assert load_config(str(root / ".pre-commit-config.yaml"))
    assert _our_hook(yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8")))


def test_pre_commit_flow_style_repos_is_left_alone(tmp_path: Path) -> None:
    root = new_project(tmp_path / "game", "generic")
    config = root / ".pre-commit-config.yaml"
    config.write_text("repos: []\n", encoding="utf-8")
    with pytest.raises(UserError, match="one line") as exc:
        hooks.install("pre-commit", root)
    assert "- repo: local" in exc.value.hint
    assert config.read_text(encoding="utf-8") == "repos: []\n"


def test_pre_commit_in_a_monorepo_goes_to_the_repository_root(tmp_path: Path, monkeypatch, run) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # what pre-commit looks for; no git needed
    root = new_project(repo / "my game", "generic")
    assert hooks.install("pre-commit", root) == ["../.pre-commit-config.yaml"]
    config = repo / ".pre-commit-config.yaml"
    assert load_config(str(config)) and not (root / ".pre-commit-config.yaml").exists()
    entry = shlex.split(_our_hook(yaml.safe_load(config.read_text(encoding="utf-8")))["entry"])
    assert entry[:2] == ["sfx-pipeline", "status"]
    monkeypatch.chdir(repo)  # pre-commit runs hooks at the repository root
    code, out = run(*entry[1:])
    assert code in (0, 2), out  # found the project: fresh or stale, not "no sfx-pipeline.toml"


def test_pre_commit_hooks_manifest_runs_a_real_command(tmp_path: Path, run) -> None:
    manifest = REPO / ".pre-commit-hooks.yaml"
    assert load_manifest(str(manifest))
    [hook] = [h for h in yaml.safe_load(manifest.read_text(encoding="utf-8")) if h["id"] == precommit.HOOK_ID]
    assert hook["language"] == "python" and hook["pass_filenames"] is False and hook["always_run"] is True
    program, *args = shlex.split(hook["entry"])
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert program in scripts
    root = new_project(tmp_path / "game", "generic")
    code, out = run(*args, "--project", str(root))
    assert code == 2 and "stale" in out  # nothing built yet: the hook would stop the commit
    assert run("build", "--project", str(root))[0] == 0
    assert run(*args, "--project", str(root))[0] == 0


def test_pre_commit_schema_check_can_fail(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("repos:\n- repo: local\n  hooks:\n  - id: x\n", encoding="utf-8")  # no name/entry/language
    with pytest.raises(InvalidConfigError):
        load_config(str(bad))


def test_ci_recipe_for_each_engine() -> None:
    godot, unity, generic = (hooks.ci_recipe(e) for e in ("godot", "unity", "generic"))
    for text in (godot, unity, generic):
        assert "sfx-pipeline build" in text and "sfx-pipeline status" in text
    assert 'godot --headless --export-release "<preset>"' in godot and "next export" in godot
    assert "-batchmode -quit -projectPath . -executeMethod" in unity
    assert "--export-release" not in unity and "-batchmode" not in godot


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_pre_commit_hook_stops_a_commit_of_only_an_edited_wav(tmp_path: Path, run) -> None:
    """Real git, real pre-commit: the problems its description names stop the commit even
    when the commit touches no descriptor."""
    root = new_project(tmp_path / "game", "generic")
    assert run("build", "--project", str(root), "--only", "sfx/ui/*")[0] == 0
    for file in root.rglob("*.sfx.toml"):
        if "ui" not in file.parts:
            file.unlink()
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, text=True)

    git("init", "-q")
    assert run("hook", "install", "pre-commit", "--project", str(root))[0] == 0
    git("add", "-A")
    assert git("commit", "-qm", "sounds").returncode == 0
    hook = [sys.executable, "-m", "pre_commit", "run", "--hook-stage", "pre-commit"]
    wav = next((root / "audio").rglob("*.wav"))
    wav.write_bytes(wav.read_bytes()[:-2] + b"\x01\x02")  # edited by hand
    git("add", str(wav))
    checked = subprocess.run(hook, cwd=root, env=env, capture_output=True, text=True)
    assert checked.returncode == 1 and "Skipped" not in checked.stdout, checked.stdout
    assert "modified" in checked.stdout and wav.relative_to(root).as_posix() in checked.stdout


def test_the_ci_recipe_installs_from_where_this_copy_came_from(tmp_path: Path, monkeypatch) -> None:
    """Not on PyPI: a plain `pip install sfx-pipeline` would fail on the runner."""
    assert 'pip install "sfx-pipeline @ git+https://<your git host>/' in hooks.ci_recipe("generic")
    # What pip records (PEP 610) for `pip install "sfx-pipeline @ git+https://...@v1"`:
    info = tmp_path / "sfx_pipeline-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sfx-pipeline\nVersion: 0.1.0\n", encoding="utf-8")
    (info / "direct_url.json").write_text(json.dumps({
        "url": "https://git.example.com/audio/sfx-pipeline.git",
        "vcs_info": {"vcs": "git", "requested_revision": "v1", "commit_id": "0123abcd"}}), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    recipe = hooks.ci_recipe("godot")
    assert 'pip install "sfx-pipeline @ git+https://git.example.com/audio/sfx-pipeline.git@0123abcd"' in recipe
    assert "pip install sfx-pipeline " not in recipe
