"""`sfx-pipeline.toml`: where the project is, which engine, where things go, defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from sfx_pipeline import __version__, schema
from sfx_pipeline.errors import ConfigError, ProjectNotFound
from sfx_pipeline.hashing import key_of
from sfx_pipeline.names import CONFIG_NAME, LOCK_NAME, STATE_DIR
from sfx_pipeline.paths import relative_path_problem
from sfx_pipeline.tomlfile import read_toml
from sfx_pipeline.untrusted import MAX_OUTPUT_PATH, normal_relative

CACHE_ENV = "SFX_PIPELINE_CACHE"

# Where WAVs land when the config does not say: inside each engine's asset tree.
DEFAULT_IMPORT_DIR = {"godot": "audio/sfx", "unity": "Assets/Audio/SFX", "generic": "audio"}
DEFAULT_DESCRIPTOR_DIRS = ("sfx",)


@dataclass(frozen=True)
class ProjectConfig:
    root: Path
    engine: str
    import_dir: str  # project-relative, '/'-separated
    descriptor_dirs: tuple[str, ...]
    cache_dir: Path
    generator: dict[str, Any]  # backend, model, device, max_batch_size, decoder, url, timeout
    defaults: dict[str, Any] = field(default_factory=dict)  # duration, generation, output
    fingerprint: str = ""  # of the settings as written: what parsed descriptors depend on
    shared_cache: dict[str, Any] = field(default_factory=dict)  # [cache]: remote, read_only
    source_digest: str = ""  # of the file's bytes, as read

    @property
    def lock_path(self) -> Path:
        return self.root / LOCK_NAME

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR


def find_root(start: Path) -> Path:
    """The nearest folder at or above `start` that holds sfx-pipeline.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ProjectNotFound(start)


def detect_engine(root: Path) -> str:
    if (root / "project.godot").is_file():
        return "godot"
    if (root / "Assets").is_dir() and (root / "ProjectSettings").is_dir():
        return "unity"
    return "generic"


def load(root: Path) -> ProjectConfig:
    """Read and validate the project config. Raises ConfigError with every problem found."""
    doc, problems = read_toml(root / CONFIG_NAME, CONFIG_NAME)
    if doc is None:
        raise ConfigError(problems)
    checker = schema.Checker(CONFIG_NAME, doc.locate)
    checker.check(doc.data, schema.CONFIG)
    data = doc.data
    if isinstance(data.get("import_dir"), str):
        _check_relative(checker, ["import_dir"], data["import_dir"])
        if not checker.problems:
            _check_import_dir(checker, root, data["import_dir"])
    folders = data.get("descriptor_dirs")
    for i, folder in enumerate(folders if isinstance(folders, list) else []):
        if isinstance(folder, str):
            _check_relative(checker, ["descriptor_dirs", i], folder)
    if checker.problems:  # the checks below read values the schema has vouched for
        raise ConfigError(checker.problems)
    for table, key in (("generator", "url"), ("cache", "remote")):
        _check_url(checker, [table, key], data[table].get(key) if isinstance(data.get(table), dict) else None)
    level = [k for k in schema.LEVEL_KEYS if k in data.get("defaults", {}).get("output", {})]
    if len(level) > 1:
        checker.add(["defaults", "output", level[1]], *schema.LEVEL_CLASH)
    if isinstance(data.get("cache_dir"), str):
        _check_cache_dir(checker, root, data["cache_dir"])
    if checker.problems:
        raise ConfigError(checker.problems)
    return _build(root, data, doc.digest)


def _check_cache_dir(checker: schema.Checker, root: Path, value: str) -> None:
    path = Path(value).expanduser()
    path = path if path.is_absolute() else root / path
    if os.path.lexists(path) and not path.is_dir():
        checker.add(["cache_dir"], f"{value!r} is not a folder",
                    "give a folder (it is created when missing), or remove the line to use the user cache folder")


def _check_import_dir(checker: schema.Checker, root: Path, value: str) -> None:
    """An import folder too long for any sound's path in it, or a file where it (or a folder
    on the way to it) would be: said once, of this key, rather than as every descriptor's
    output path being too long or every sound failing to install."""
    folder = normal_relative(value)
    if len(folder) > MAX_OUTPUT_PATH - len("/x.wav"):
        checker.add(["import_dir"], f"is {len(folder)} characters long: no sound's path in it fits the "
                                    f"{MAX_OUTPUT_PATH} characters that every OS can write", "give a shorter folder")
        return
    path = root
    for part in folder.split("/"):
        path = path / part
        if os.path.lexists(path) and not path.is_dir():
            checker.add(["import_dir"], f"{path.relative_to(root).as_posix()} is a file, not a folder",
                        "give a folder (it is created when missing), or move the file")
            return


def _check_relative(checker: schema.Checker, path: list[str | int], value: str) -> None:
    problem = relative_path_problem(value.rstrip("/"))
    if problem:
        checker.add(path, problem, "give a folder inside the project, e.g. \"audio/sfx\"")


def _check_url(checker: schema.Checker, path: list[str | int], value: Any) -> None:
    if not isinstance(value, str):
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        checker.add(path, f"{value!r} is not an http:// or https:// address", 'for example "http://gpu-box:8750"')
    elif parts.username or parts.password:
        checker.add(path, "holds a user name or password, and this file is committed",
                    "remove them; the token goes in the SFX_PIPELINE_TOKEN environment variable")


def _build(root: Path, data: dict[str, Any], source_digest: str) -> ProjectConfig:
    engine = data.get("engine") or detect_engine(root)
    defaults = schema.merge(schema.defaults(schema.DEFAULTS), data.get("defaults", {}))
    return ProjectConfig(
        root=root,
        engine=engine,
        import_dir=normal_relative(data.get("import_dir", DEFAULT_IMPORT_DIR[engine])),
        descriptor_dirs=tuple(normal_relative(d) for d in data.get("descriptor_dirs", DEFAULT_DESCRIPTOR_DIRS)),
        cache_dir=cache_dir(root, data.get("cache_dir")),
        generator=schema.merge(schema.defaults(schema.GENERATOR), data.get("generator", {})),
        defaults=defaults,
        fingerprint=key_of({"version": __version__, "config": data}),
        shared_cache=schema.merge(schema.defaults(schema.CACHE), data.get("cache", {})),
        source_digest=source_digest,
    )


def cache_dir(root: Path, configured: str | None) -> Path:
    """SFX_PIPELINE_CACHE, else the project's cache_dir, else the user cache dir.

    The env var wins so a build machine can share one cache across checkouts."""
    from_env = os.environ.get(CACHE_ENV)
    if from_env:
        return Path(from_env).expanduser()
    if configured:
        path = Path(configured).expanduser()
        return path if path.is_absolute() else root / path
    return Path(platformdirs.user_cache_dir("sfx-pipeline", appauthor=False))

