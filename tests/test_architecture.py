"""The package's import graph, read from source by `tools/module_graph.py`: no cycles, not even
through imports deferred into functions.

The graph rules (what is an edge, why a package's `__init__` importing its own submodules is
not a cycle) are in that script's docstring; the second half of this file checks them on
small packages written to `tmp_path`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_script() -> ModuleType:
    # tools/ is not a package and does not ship: load the script from its file.
    spec = importlib.util.spec_from_file_location("module_graph", ROOT / "tools" / "module_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


module_graph = _load_script()


def _shown(edges: dict[str, set[str]], found: list[list[str]]) -> str:
    return "\n".join(" -> ".join(module_graph.cycle_path(edges, component)) for component in found)


@pytest.fixture(scope="module")
def graph() -> Any:
    return module_graph.build(ROOT)


def test_no_module_imports_itself_back_while_loading(graph: Any) -> None:
    found = module_graph.cycles(graph.load)
    assert not found, f"import cycles at module load:\n{_shown(graph.load, found)}"


def test_imports_inside_functions_close_no_cycle_either(graph: Any) -> None:
    # Deferring an import keeps it off the start-up path; it must not hide a cycle.
    every = graph.every()
    found = module_graph.cycles(every)
    assert not found, f"import cycles through imports inside functions:\n{_shown(every, found)}"


def _importers(graph: Any, target: str) -> list[str]:
    """Modules that import `target` or anything under it, at load or inside a function."""
    every = graph.every()
    return sorted(m for m in graph.modules if any(t == target or t.startswith(target + ".") for t in every[m]))


def test_the_library_never_imports_the_command_line(graph: Any) -> None:
    # A thin CLI over a usable library: only `python -m sfx_pipeline` starts the CLI.
    outside = [m for m in _importers(graph, "sfx_pipeline.cli") if not m.startswith("sfx_pipeline.cli")]
    assert outside == ["sfx_pipeline.__main__"]


def test_producers_take_value_types_from_sound_not_from_the_parser(graph: Any) -> None:
    producers = ("generators", "audio", "engines", "remote", "serve", "keys", "plan", "produce")
    readers = [m for m in _importers(graph, "sfx_pipeline.descriptor")
               if any(m == f"sfx_pipeline.{p}" or m.startswith(f"sfx_pipeline.{p}.") for p in producers)]
    assert readers == []
    assert graph.load["sfx_pipeline.sound"] | graph.deferred["sfx_pipeline.sound"] == set()  # the bottom layer


def test_the_graph_covers_every_module_of_the_package(graph: Any) -> None:
    files = set((ROOT / "sfx_pipeline").rglob("*.py"))
    assert len(graph.modules) == len(files)
    assert {"sfx_pipeline", "sfx_pipeline.engines", "sfx_pipeline.engines.base", "sfx_pipeline.plan"} <= set(graph.modules)
    assert "sfx_pipeline.engines.base" in graph.load["sfx_pipeline.engines.godot"]


# The rules, on packages written for the purpose.

def write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "sfx_pipeline" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_registry_that_imports_its_submodules_is_no_cycle(tmp_path: Path) -> None:
    root = write_package(tmp_path, {
        "__init__.py": "",
        "engines/__init__.py": "from sfx_pipeline.engines.base import Engine\nfrom sfx_pipeline.engines import godot\n",
        "engines/base.py": "class Engine: ...\n",
        "engines/godot.py": "from sfx_pipeline.engines import base\n",
    })
    graph = module_graph.build(root)
    assert graph.load["sfx_pipeline.engines"] == {"sfx_pipeline.engines.base", "sfx_pipeline.engines.godot"}
    assert graph.load["sfx_pipeline.engines.godot"] == {"sfx_pipeline.engines.base"}
    assert module_graph.cycles(graph.every()) == []


def test_a_submodule_reading_names_from_its_registry_is_a_cycle(tmp_path: Path) -> None:
    root = write_package(tmp_path, {
        "__init__.py": "",
        "engines/__init__.py": "class Engine: ...\n\ndef get():\n    from sfx_pipeline.engines.godot import Godot\n",
        "engines/godot.py": "from sfx_pipeline.engines import Engine\n",
    })
    graph = module_graph.build(root)
    assert module_graph.cycles(graph.load) == []  # the registry imports its engine only when called
    assert module_graph.cycles(graph.every()) == [["sfx_pipeline.engines", "sfx_pipeline.engines.godot"]]
    assert graph.deferred["sfx_pipeline.engines"] == {"sfx_pipeline.engines.godot"}


def test_relative_imports_resolve_and_type_checking_imports_are_no_edges(tmp_path: Path) -> None:
    root = write_package(tmp_path, {
        "__init__.py": "",
        "a/__init__.py": "VERSION = '1'\n",
        "a/dsp.py": "",
        "a/synth.py": ("from typing import TYPE_CHECKING\nfrom . import dsp\nfrom .. import b\n"
                       "if TYPE_CHECKING:\n    from sfx_pipeline.c import Thing\nelse:\n    import sfx_pipeline.d.e\n"),
        "b.py": "import numpy\nimport sfx_pipeline.a.dsp as dsp\n",
        "c.py": "from sfx_pipeline.a.synth import *\n",
        "d/__init__.py": "",
    })
    graph = module_graph.build(root)
    # `sfx_pipeline.d.e` is no module: the edge goes to the deepest one that is, `d`.
    assert graph.load["sfx_pipeline.a.synth"] == {"sfx_pipeline.a.dsp", "sfx_pipeline.b", "sfx_pipeline.d"}
    assert graph.load["sfx_pipeline.b"] == {"sfx_pipeline.a.dsp"}
    assert module_graph.cycles(graph.every()) == []  # c -> synth is one way: synth's import of c never runs


def test_layers_count_the_longest_chain_and_a_cycle_is_one_layer(tmp_path: Path) -> None:
    root = write_package(tmp_path, {
        "__init__.py": "",
        "low.py": "",
        "mid.py": "from sfx_pipeline import low\nfrom sfx_pipeline import loop_b\n",
        "loop_a.py": "from sfx_pipeline import loop_b\n",
        "loop_b.py": "import sfx_pipeline.loop_a\nimport sfx_pipeline.low\n",
        "top.py": "from sfx_pipeline import mid, low\n",
    })
    graph = module_graph.build(root)
    layer = module_graph.layers(graph.load)
    assert [layer[f"sfx_pipeline.{m}"] for m in ("low", "loop_a", "loop_b", "mid", "top")] == [1, 2, 2, 3, 4]
    assert module_graph.deepest_chain(graph.load)[0] == "sfx_pipeline.top"
    assert len(module_graph.deepest_chain(graph.load)) == 4
    assert module_graph.cycles(graph.load) == [["sfx_pipeline.loop_a", "sfx_pipeline.loop_b"]]


def test_the_script_prints_counts_layers_and_cycles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_package(tmp_path, {
        "__init__.py": "",
        "a.py": "def f():\n    from sfx_pipeline import b\n",
        "b.py": "from sfx_pipeline import a\n",
    })
    assert module_graph.main(["--root", str(root), "--layers"]) == 0
    out = capsys.readouterr().out
    assert "modules: 3\n" in out and "edges at module load: 1\n" in out and "edges inside functions only: 1\n" in out
    assert "cycles at module load: 0\n" in out and "cycles counting imports inside functions: 1\n" in out
    assert "e.g. a -> b -> a" in out
    assert module_graph.main(["--root", str(root), "--dot"]) == 0
    assert '"a" -> "b" [style=dashed];' in capsys.readouterr().out
