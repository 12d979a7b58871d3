"""What a build machine runs: the sounds first, then the engine's headless export."""

from __future__ import annotations

import json

_COMMON = """\
On a build machine (CI), build the sound effects before the engine starts:

  {install}
  sfx-pipeline build              # exit 1: errors; 2: hand-edited or orphaned outputs; 0: all built
"""
_UNKNOWN_SOURCE = "git+https://<your git host>/<path>/sfx-pipeline.git"

_ENGINE = {
    "godot": """\
  godot --headless --export-release "<preset>" <path/to/game>

Build before Godot starts, never only inside the export: Godot imports files that appear
during an export (the addon's build in _export_begin) only on the next export, so sounds
built there would need a second export. Started after the build, Godot imports them first.
""",
    "unity": """\
  <Unity editor> -batchmode -quit -projectPath . -executeMethod <YourBuildScript.Build> -logFile -

The pre-build hook installed in Assets/Editor/SfxPipeline runs the build again (everything
is fresh by then) and fails the player build with the CLI's message if anything is wrong.
""",
    "generic": """\
  ...then your engine's export or packaging step.
""",
}

_NOTES = """\
`sfx-pipeline status` alone checks without building (exit 0 fresh, 2 stale, 1 errors).
With backend = "auto", a runner without AudioGen makes procedural placeholders for new
sounds and keeps sounds AudioGen made (a changed one is "pending"): run the job where
AudioGen loads to replace them. SFX_PIPELINE_CACHE points every job at one shared cache.
"""


def ci_recipe(engine: str) -> str:
    """Commands and caveats for building sounds then exporting `engine` (godot, unity, generic)."""
    return _COMMON.format(install=install_command()) + _ENGINE.get(engine, _ENGINE["generic"]) + "\n" + _NOTES


def install_command() -> str:
    """How a CI runner installs this very version. The package is not on PyPI: when it was
    installed from a git URL, pip recorded where (direct_url.json, PEP 610), and that URL at
    that commit is what CI should install; otherwise the user fills in their URL."""
    source = _UNKNOWN_SOURCE
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        recorded = json.loads(distribution("sfx-pipeline").read_text("direct_url.json") or "{}")
    except (PackageNotFoundError, ValueError):
        recorded = {}
    vcs = recorded.get("vcs_info") or {}
    if vcs.get("vcs") and recorded.get("url"):
        source = f"{vcs['vcs']}+{recorded['url']}" + (f"@{vcs['commit_id']}" if vcs.get("commit_id") else "")
    return (f'pip install "sfx-pipeline @ {source}"   # not on PyPI; '
            '"sfx-pipeline[audiogen] @ ..." on a GPU runner (see the README)')
