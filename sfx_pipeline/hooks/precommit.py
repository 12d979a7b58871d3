"""`hook install pre-commit`: add a `repo: local` hook to .pre-commit-config.yaml.

Edited as text, not parsed and dumped, so the user's comments, quoting and layout survive
(and the product needs no YAML library): the new entry goes at the end of the top-level
`repos:` block, indented like the entries already there.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from sfx_pipeline.errors import UserError
from sfx_pipeline.hooks.templates import ADDED, UP_TO_DATE, WROTE, source

CONFIG_NAME = ".pre-commit-config.yaml"
HOOK_ID = "sfx-pipeline-status"
_HAS_HOOK = re.compile(rf"""^[ \t-]*id:[ \t]*["']?{re.escape(HOOK_ID)}["']?[ \t]*(?:#[^\r\n]*)?\r?$""", re.M)
_REPOS_KEY = re.compile(r"""^["']?repos["']?[ \t]*:[ \t]*(?P<rest>.*?)[ \t]*$""")


def install(root: Path) -> tuple[str, str]:
    """Returns (the config's path relative to `root`, what happened to it)."""
    repo = _repository_root(root)
    config = repo / CONFIG_NAME
    relative = Path(*([".."] * len(root.relative_to(repo).parts)), CONFIG_NAME).as_posix()
    entry = hook_entry(root.relative_to(repo).as_posix())
    if not config.exists():
        header = "# pre-commit hooks: https://pre-commit.com (run `pre-commit install` once)\n"
        config.write_text(header + "repos:\n" + entry, encoding="utf-8", newline="\n")
        return relative, WROTE
    # Bytes in and out, no newline translation: the file keeps its own line endings
    # (add_entry writes the new lines with the same ones).
    text = config.read_bytes().decode("utf-8")
    if _HAS_HOOK.search(text):
        return relative, UP_TO_DATE
    config.write_bytes(add_entry(text, entry).encode("utf-8"))
    return relative, ADDED


def _repository_root(root: Path) -> Path:
    """pre-commit reads its config at the top of the git work tree, which may be above the
    game project (a monorepo with the game in a subfolder)."""
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder
    return root


def hook_entry(project: str = ".") -> str:
    """The `- repo: local` entry, at indent 0. `project`: the game project relative to the
    repository root, where `sfx-pipeline status` runs (it looks for the config there and above)."""
    text: str = (source("pre_commit") / "local-hook.yaml").read_text(encoding="utf-8")
    if project not in ("", "."):
        command = f"sfx-pipeline status --project {shlex.quote(project)}"
        plain = re.fullmatch(r"[\w./' -]+", command) and " #" not in command
        text = text.replace("entry: sfx-pipeline status", f"entry: {command if plain else json.dumps(command)}")
    return text


def add_entry(text: str, entry: str) -> str:
    """`text` with `entry` appended to its top-level `repos:` list; nothing else changes."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    found = next(((i, m) for i, line in enumerate(lines) if (m := _REPOS_KEY.match(line.rstrip("\r\n")))), None)
    if found is None:  # no repos yet: pre-commit needs the key, so add it at the end
        return "".join(lines) + "repos:" + newline + _indent(entry, 0, newline)
    key, match = found
    rest = match.group("rest")
    if rest and not rest.startswith("#"):
        raise UserError(
            f"{CONFIG_NAME}: `repos:` is written on one line ({rest}); sfx-pipeline only appends to a block list",
            "add this under repos: yourself:\n" + entry,
        )
    last, indent = key, None
    for i in range(key + 1, len(lines)):
        line = lines[i].rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue  # blank lines and comments belong to no block
        is_item = line.lstrip(" ").startswith("- ") or line.strip() == "-"
        if not line[0].isspace() and not is_item:
            break  # the next top-level key (or a document marker): the repos block is over
        if indent is None and is_item:
            indent = len(line) - len(line.lstrip(" "))
        last = i
    lines.insert(last + 1, _indent(entry, 2 if indent is None else indent, newline))
    return "".join(lines)


def _indent(entry: str, width: int, newline: str) -> str:
    return "".join(" " * width + line + newline if line else newline for line in entry.splitlines())
