"""Draw sfx_pipeline's module graph from its source, without importing it.

    python tools/module_graph.py             # counts, the deepest chain, any cycles
    python tools/module_graph.py --layers    # also every module, by layer
    python tools/module_graph.py --dot | dot -Tsvg > modules.svg

What counts as an edge, read with `ast` from every `.py` file under the package:

- `import a.b.c` is an edge to the deepest module of that name that exists in the package;
  `from a.b import c` is an edge to `a.b.c` when that is a module, else to `a.b` (the name is
  defined there). Relative imports are resolved first. Imports of other packages are dropped.
- An import at module level, in a class body or under a module-level `try`/`if` runs when the
  module loads: a *load* edge. One inside a function runs when it is called: a *deferred*
  edge (used here to keep torch, numpy and the audio layer off the CLI's start-up path).
  Imports under `if TYPE_CHECKING:` never run and are no edges at all.
- Loading `a.b.c` runs `a/__init__` and `a/b/__init__` first, but that adds no edge here:
  an edge means "reads names defined there". Otherwise every package whose `__init__`
  registers its submodules would be a cycle with them, which Python loads without trouble
  (the parent is already in `sys.modules` when its children run). A submodule that does read
  names from its package's `__init__` (`from a.b import Thing`) gets the edge, and if that
  `__init__` imports the submodule it is a real cycle: the child sees a half-made parent.

Layers: the number of modules on the longest chain of load edges (a module that imports
nothing of ours is layer 1). A cycle's modules are counted as one layer.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

PACKAGE = "sfx_pipeline"
Edges = dict[str, set[str]]


@dataclass
class Graph:
    """Modules of one package and their imports of each other."""

    modules: list[str]
    load: Edges = field(default_factory=dict)  # imports that run when the importing module loads
    deferred: Edges = field(default_factory=dict)  # imports inside functions, not also load edges

    def every(self) -> Edges:
        """Load and deferred edges together: what can import what at some point."""
        return {m: self.load[m] | self.deferred[m] for m in self.modules}


def module_names(root: Path, package: str = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> its file, for every `.py` file under `root/package`."""
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST, in_function: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement under `node` that can run, and whether it sits inside a function."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, in_function
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for branch in child.orelse:  # the `else:` of `if TYPE_CHECKING:` is what runs
                yield from _imports(ast.Module(body=[branch], type_ignores=[]), in_function)
        else:
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from _imports(child, inner)


def _deepest(name: str, known: set[str]) -> str | None:
    """`name` or its longest dotted prefix that is a module of ours."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def _targets(statement: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> Iterator[str]:
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if (target := _deepest(alias.name, known)) is not None:
                yield target
        return
    base = statement.module or ""
    if statement.level:  # relative: from the module's own package, one level up per extra dot
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - statement.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    for alias in statement.names:
        submodule = f"{base}.{alias.name}"
        target = submodule if submodule in known else _deepest(base, known)
        if target is not None:
            yield target


def build(root: Path, package: str = PACKAGE) -> Graph:
    """The import graph of `root/package`, read from source."""
    files = module_names(root, package)
    known = set(files)
    graph = Graph(sorted(files))
    for module, path in files.items():
        load: set[str] = set()
        deferred: set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for statement, in_function in _imports(tree):
            for target in _targets(statement, module, path.name == "__init__.py", known):
                if target != module:
                    (deferred if in_function else load).add(target)
        graph.load[module] = load
        graph.deferred[module] = deferred - load
    return graph


def components(edges: Edges) -> list[list[str]]:
    """Strongly connected components (Tarjan), each sorted; every node is in exactly one."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def cycles(edges: Edges) -> list[list[str]]:
    """The components that hold a cycle: more than one module, or one that imports itself."""
    return [c for c in components(edges) if len(c) > 1 or c[0] in edges.get(c[0], ())]


def cycle_path(edges: Edges, component: list[str]) -> list[str]:
    """One shortest cycle through the component's first module: [a, b, ..., a]."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(edges.get(node, set()) & members):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = node
                queue.append(target)
    return [start]


def layers(edges: Edges) -> dict[str, int]:
    """Module -> its layer: 1 + the highest layer it imports (a cycle's members share one)."""
    owner = {m: tuple(c) for c in components(edges) for m in c}
    layer: dict[tuple[str, ...], int] = {}
    for component in components(edges):  # Tarjan emits a component after everything it reaches
        key = tuple(component)
        below = [layer[owner[t]] for m in component for t in edges.get(m, ()) if owner[t] != key]
        layer[key] = 1 + max(below, default=0)
    return {m: layer[owner[m]] for m in edges}


def deepest_chain(edges: Edges) -> list[str]:
    """The modules on one longest load chain, from the top (most layers below it) down."""
    layer = layers(edges)
    node = max(sorted(edges), key=lambda m: layer[m])
    chain = [node]
    while layer[node] > 1:
        node = max(sorted(t for t in edges[node] if layer[t] < layer[node]), key=lambda t: layer[t])
        chain.append(node)
    return chain


def short(module: str) -> str:
    return module.removeprefix(PACKAGE + ".")


def summary(graph: Graph) -> list[str]:
    load_cycles, all_cycles = cycles(graph.load), cycles(graph.every())
    chain = deepest_chain(graph.load)
    lines = [
        f"modules: {len(graph.modules)}",
        f"edges at module load: {sum(map(len, graph.load.values()))}",
        f"edges inside functions only: {sum(map(len, graph.deferred.values()))}",
        f"layers (longest chain at module load): {len(chain)}",
        "  " + " -> ".join(map(short, chain)),
        f"cycles at module load: {len(load_cycles)}",
    ]
    lines += [f"  {' -> '.join(map(short, cycle_path(graph.load, c)))}" for c in load_cycles]
    lines.append(f"cycles counting imports inside functions: {len(all_cycles)}")
    every = graph.every()
    for component in all_cycles:
        lines.append(f"  {len(component)} modules: {', '.join(map(short, component))}")
        lines.append(f"    e.g. {' -> '.join(map(short, cycle_path(every, component)))}")
    return lines


def by_layer(graph: Graph) -> list[str]:
    layer = layers(graph.load)
    return [f"{n:>3}  {', '.join(short(m) for m in graph.modules if layer[m] == n)}"
            for n in sorted(set(layer.values()), reverse=True)]


def dot(graph: Graph) -> list[str]:
    """Graphviz: load edges solid, deferred ones dashed, modules ranked by layer."""
    layer = layers(graph.load)
    lines = ["digraph modules {", "  rankdir=TB; node [shape=box, fontsize=10];"]
    for n in sorted(set(layer.values())):
        members = " ".join(f'"{short(m)}"' for m in graph.modules if layer[m] == n)
        lines.append(f"  {{ rank=same; {members} }}")
    for module in graph.modules:
        lines += [f'  "{short(module)}" -> "{short(t)}";' for t in sorted(graph.load[module])]
        lines += [f'  "{short(module)}" -> "{short(t)}" [style=dashed];' for t in sorted(graph.deferred[module])]
    return [*lines, "}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the folder that holds the package (default: this checkout)")
    parser.add_argument("--layers", action="store_true", help="also list every module by layer")
    parser.add_argument("--dot", action="store_true", help="print a Graphviz graph instead")
    args = parser.parse_args(argv)
    graph = build(args.root)
    lines = dot(graph) if args.dot else summary(graph) + (by_layer(graph) if args.layers else [])
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
