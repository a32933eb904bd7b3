"""Imports run one way: monitoring <- accounts <- cases <- ledger <- {sync, dashboard} (jobs, the Celery guard,
beside cases),
casetracker on top of the apps and
devtools on top of everything; and no product module imports itself back through others.

The walk reads every import statement of the product's modules with `ast`, wherever it stands (module
level or inside a function), and draws an edge to the deepest product module it names, as import
graph tools do (`from sync.adapters.base import X` is an edge to `sync.adapters.base`, `from cases
import views` one to `cases.views`). Migrations and tests are not product modules.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {
    "monitoring": -1, "accounts": 0, "jobs": 1, "cases": 1, "ledger": 2, "sync": 3, "dashboard": 3, "casetracker": 4,
    "devtools": 5,
}
"""An app may import its own modules and those of the apps on lower layers, never a higher or equal one."""


@dataclass(frozen=True)
class Import:
    source: str
    path: str
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} -> {self.target}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def product_modules() -> dict[str, Path]:
    modules = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or "tests" in relative.parts:
                continue
            modules[_module_name(path)] = path
    return modules


def _deepest_module(dotted: str, known: set[str]) -> str | None:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in known:
            return ".".join(parts[:end])
    return None


def _named_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    return [f"{base}.{alias.name}" for alias in node.names]


def product_imports() -> list[Import]:
    """Each edge once per line: `from m import A, B` names module `m` once."""
    modules = product_modules()
    known = set(modules)
    imports: dict[Import, None] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _named_modules(node, module, path.name == "__init__.py"):
                target = _deepest_module(name, known)
                if target is not None and target != module:
                    imports[Import(module, path.relative_to(ROOT).as_posix(), node.lineno, target)] = None
    return list(imports)


def _app(module: str) -> str:
    return module.partition(".")[0]


def _runs_the_wrong_way(edge: Import) -> bool:
    source, target = _app(edge.source), _app(edge.target)
    return source != target and LAYERS[source] <= LAYERS[target]


def _cycles(imports: list[Import]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    graph: dict[str, set[str]] = {}
    for edge in imports:
        graph.setdefault(edge.source, set()).add(edge.target)
        graph.setdefault(edge.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_the_walk_sees_module_and_relative_imports():
    edges = {(edge.source, edge.target) for edge in product_imports()}
    assert ("cases.models", "accounts.models") in edges
    assert ("cases.urls", "cases.views") in edges
    assert ("sync.adapters.registry", "sync.adapters.amazon") in edges


def test_no_app_imports_one_on_its_own_layer_or_above():
    wrong = [f"{edge} ({_app(edge.source)} may not import {_app(edge.target)})"
             for edge in product_imports() if _runs_the_wrong_way(edge)]
    layers = "accounts < cases < ledger < {sync, dashboard} < casetracker < devtools"
    assert not wrong, f"Imports against the layers {layers}:\n" + "\n".join(wrong)


def test_no_import_cycle_among_product_modules():
    imports = product_imports()
    report = []
    for component in _cycles(imports):
        members = set(component)
        report.append("Cycle among " + ", ".join(component) + ":")
        report.extend(f"  {edge}" for edge in imports if edge.source in members and edge.target in members)
    assert not report, "\n".join(report)


def test_the_cycle_finder_finds_a_cycle():
    edges = [Import("a", "a.py", 1, "b"), Import("b", "b.py", 2, "c"), Import("c", "c.py", 3, "a"),
             Import("c", "c.py", 4, "d")]
    assert _cycles(edges) == [["a", "b", "c"]]
