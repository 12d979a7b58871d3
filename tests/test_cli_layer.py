"""The command-line layer itself: options in any position, usage errors per command,
exit statuses from one table, closed pipes, colour, quiet and verbose."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sfx_pipeline.cli import main, parser
from sfx_pipeline.cli.commands import COMMANDS
from sfx_pipeline.cli.exits import MEANING, Exit
from sfx_pipeline.cli.output import use_color
from support.project import GameProject


def run_in(cwd: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    finally:
        os.chdir(old)


@pytest.mark.parametrize("argv", [
    ["-C", "{root}", "status", "--json"],
    ["status", "-C", "{root}", "--json"],
    ["--json", "status", "--project", "{root}"],
    ["--project={root}", "--json", "status"],
])
def test_shared_options_work_before_and_after_the_command(project: GameProject, argv: list[str],
                                                          tmp_path: Path) -> None:
    project.sound("a", "coin")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, out, _ = run_in(elsewhere, project.capsys, *[a.format(root=project.root) for a in argv])
    assert code == Exit.STALE and json.loads(out)["counts"]["stale"] == 1


def test_a_nested_action_takes_the_shared_options_too(project: GameProject, tmp_path: Path) -> None:
    for argv in (["cache", "stats", "-C", str(project.root)], ["-C", str(project.root), "cache", "stats"],
                 ["cache", "-C", str(project.root), "stats", "--json"]):
        code, out, _ = run_in(tmp_path, project.capsys, *argv)
        assert code == 0 and ("generations: 0" in out or json.loads(out)["blobs"] == 0), argv


def test_only_given_before_and_after_the_command_adds_up(project: GameProject) -> None:
    for name in ("door", "rain", "wind"):
        project.sound(name, name)
    code, out, _ = run_in(project.root, project.capsys, "--only", "door", "status", "--json", "--only", "rain")
    assert code == Exit.STALE
    assert sorted(a["output"] for a in json.loads(out)["assets"]) == ["audio/door.wav", "audio/rain.wav"]


def test_an_option_the_command_does_not_take_is_a_usage_error(project: GameProject) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--prune", "status", "-C", str(project.root)])
    err = project.capsys.readouterr().err
    assert exit_.value.code == Exit.USAGE
    assert "usage: sfx-pipeline status" in err and "has no --prune option" in err


@pytest.mark.parametrize("argv, usage", [
    (["status", "--bogus"], "usage: sfx-pipeline status"),
    (["cache", "stats", "--bogus"], "usage: sfx-pipeline cache stats"),
    (["hook", "install", "godot", "--bogus"], "usage: sfx-pipeline hook install"),
    (["build", "-q", "-v"], "usage: sfx-pipeline build"),
])
def test_usage_errors_show_the_commands_own_usage_and_exit_64(argv: list[str], usage: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 64  # never 2, which means "stale"
    assert err.startswith(usage), err
    assert "usage: sfx-pipeline [-h]" not in err


def test_every_command_has_a_summary_exit_codes_and_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    def leaves(commands, prefix=()):
        for c in commands:
            yield from leaves(c.actions, (*prefix, c.name)) if c.actions else [((*prefix, c.name), c)]

    for words, command in leaves(COMMANDS):
        assert command.summary and "\n" not in command.summary
        with pytest.raises(SystemExit):
            main([*words, "--help"])
        text = capsys.readouterr().out
        assert "exit status:" in text and "example:\n  " in text, words
        assert "sfx-pipeline " + " ".join(words) in text.split("example:\n  ")[1], words
        for code in command.exits:
            assert f"  {int(code):<4} {MEANING[code]}" in text


def test_the_bare_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "status" in capsys.readouterr().out


def test_the_parser_lists_every_registered_command() -> None:
    import argparse

    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == [c.name for c in COMMANDS]


# closed pipes ---------------------------------------------------------------------------

def _with_closed_stdout(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real program with stdout a pipe whose reader is already gone, as
    `sfx-pipeline status --all | head -1` leaves it once head has read its line."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "sfx_pipeline", *args], stdout=write, stderr=subprocess.PIPE,
                              text=True, cwd=cwd, env=os.environ.copy())
    finally:
        os.close(write)


@pytest.mark.skipif(os.name == "nt", reason="POSIX pipes")
@pytest.mark.parametrize("args", [["status", "--all"], ["status", "--json"], ["build", "--json"],
                                  ["hook", "install", "pre-commit"]])
def test_a_closed_pipe_ends_quietly_like_git(project: GameProject, args: list[str]) -> None:
    project.sound("a", "coin")
    if args[0] == "status":
        project.run("build")
    result = _with_closed_stdout(args, project.root)
    assert result.returncode == Exit.BROKEN_PIPE == 141, result.stderr  # 128 + SIGPIPE, as the shell shows git's
    assert "crashed" not in result.stderr and "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    if args[0] == "build":  # the work was done before the result was printed
        assert (project.root / "audio/a.wav").is_file()
        assert project.run("status").code == Exit.OK


# output conventions ---------------------------------------------------------------------

class _Tty:
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("when, env, expected", [
    ("auto", {}, True),
    ("auto", {"NO_COLOR": "1"}, False),
    ("auto", {"NO_COLOR": ""}, True),  # no-color.org: set and not empty
    ("never", {"FORCE_COLOR": "1"}, False),
    ("always", {"NO_COLOR": "1"}, True),
    ("auto", {"TERM": "dumb"}, False),
])
def test_colour_on_a_terminal_follows_the_conventions(when: str, env: dict[str, str], expected: bool) -> None:
    env = {"TERM": "xterm-256color", **env}
    assert use_color(when, _Tty(), env) is expected  # type: ignore[arg-type]


def test_colour_off_a_terminal_only_when_forced(project: GameProject, monkeypatch: pytest.MonkeyPatch) -> None:
    project.sound("a", "coin")
    assert "\033[" not in project.run("status").out
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\033[33mstale    \033[0m audio/a.wav" in project.run("status").out
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in project.run("status").out


def test_quiet_and_verbose(project: GameProject) -> None:
    project.sound("a", "coin")
    project.sound("b", "laser")
    quiet = project.run("build", "-q")
    assert quiet.code == 0 and quiet.out == "" and quiet.err == ""
    project.write("sfx/c.sfx.toml", "prompt = \n")
    quiet = project.run("build", "-q")
    assert quiet.code == 1 and "sfx/c.sfx.toml:1:" in quiet.out and "fresh" not in quiet.out
    verbose = project.run("build", "-v")
    assert "fresh      audio/a.wav" in verbose.out
    assert "fresh     audio/b.wav" in project.run("status", "-v").out


def test_only_matching_nothing_is_an_error(project: GameProject) -> None:
    project.sound("door", "door")
    for command in ("build", "status"):
        run = project.run(command, "--only", "dor*")
        assert run.code == Exit.ERROR and "--only 'dor*' matches no asset" in run.err, command
    assert not (project.root / "audio").exists()
    assert project.run("build", "--only", "door*").code == 0


# shell completion -----------------------------------------------------------------------

def _complete(line: str, tmp_path: Path) -> list[str]:
    """Ask the real program for completions the way the shell scripts do (argcomplete's protocol)."""
    answer = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(answer)}
    subprocess.run([sys.executable, "-c", "import sys; from sfx_pipeline.cli import main; sys.exit(main())"],
                   env=env, check=True, cwd=tmp_path)
    return [word.strip() for word in answer.read_text().split("\013")]


def test_completion_comes_from_the_parser(tmp_path: Path) -> None:
    assert _complete("sfx-pipeline sta", tmp_path) == ["status"]
    assert "--json" in _complete("sfx-pipeline cache stats --j", tmp_path)
    assert {"godot", "unity", "pre-commit"} <= set(_complete("sfx-pipeline hook install ", tmp_path))


@pytest.mark.parametrize("shell, marker", [("bash", "complete "), ("zsh", "compdef"), ("fish", "complete "),
                                           ("powershell", "Register-ArgumentCompleter")])
def test_completion_scripts_for_each_shell(shell: str, marker: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", shell]) == 0
    script = capsys.readouterr().out
    assert marker in script and "sfx-pipeline" in script
