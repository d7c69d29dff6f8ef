"""The house rules, measured with ``ast`` over ``server/trade_tracker``: sizes, no import circle, one venue boundary.

- No module over :data:`MAX_MODULE_LINES` lines and no function over :data:`MAX_FUNCTION_LINES` lines
  (decorators not counted; tests are not measured).
- No import circle, counting every import: module level, inside functions (lazy), and a module named in a
  string constant (``importlib.import_module`` / the CLI's lazy commands). Only ``if TYPE_CHECKING:``
  imports are left out: they never run. A name imported from a package that re-exports lazily
  (``lazy_exports.lazy_package``) is an edge to the module whose ``__all__`` lists it: that is the module
  the package's ``__getattr__`` imports.
- The Coinbase Exchange adapter (``venues/coinbase_exchange/``) is imported only inside ``venues/`` and
  by the wiring listed in :data:`VENUE_WIRING`, so a second venue lands as a sibling package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "trade_tracker"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
EXCHANGE = "trade_tracker.venues.coinbase_exchange"
#: Modules outside venues/ that may import the Exchange adapter, and why. Only the app's wiring: the sync
#: engine drives any ``Venue`` (``venues/base.py``), and ``credentials/`` reaches a venue only through its
#: hooks, looked up in ``venues.registry`` by the venue a credential row names.
VENUE_WIRING = {
    "trade_tracker.app": "the core's wiring: builds the venue's client for a credential",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _lazy_index(init: Path) -> dict[str, str]:
    """name -> the module that defines it, for a package whose ``__init__`` re-exports with ``lazy_package``."""
    if "lazy_package(__name__)" not in init.read_text(encoding="utf-8"):
        return {}
    index: dict[str, str] = {}
    for path in sorted(init.parent.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body if path.name != "__init__.py" else []:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                index.update((name, f"{_module_name(path)}") for name in ast.literal_eval(node.value))
    return index


#: package -> {re-exported name -> the module that defines it}
LAZY = {name: index for name, path in MODULES.items() if path.name == "__init__.py" if (index := _lazy_index(path))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:``."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                stack.extend(child.orelse)
                continue
            stack.append(child)
    return out


def _logger_names(tree: ast.AST) -> set[int]:
    """ids of the string constants that name a logger (``logging.getLogger("trade_tracker.sync")``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "getLogger":
            found.update(id(arg) for arg in node.args)
    return found


def imports_of(name: str) -> set[str]:
    """The project modules ``name`` imports at run time (lazily or not, or by a module name in a string)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    loggers = _logger_names(tree)
    found: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
            found.update(LAZY[target][alias.name] for alias in node.names if alias.name in LAZY.get(target, {}))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in loggers:
            found.add(node.value)
    return {target for target in found if target in MODULES and target != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_is_too_long() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_too_long() -> None:
    long = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name} (line {node.lineno}): {size} lines")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)


def test_there_is_no_import_circle() -> None:
    assert not _cycles(GRAPH), f"import circles: {_cycles(GRAPH)}"


def _outside_the_venue_boundary(graph: dict[str, set[str]]) -> list[str]:
    """Every import of the Exchange adapter from outside ``venues/`` and :data:`VENUE_WIRING`."""
    return sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        for target in targets
        if (target == EXCHANGE or target.startswith(EXCHANGE + "."))
        and not name.startswith("trade_tracker.venues")
        and name not in VENUE_WIRING
    )


def test_the_exchange_adapter_is_imported_only_behind_the_venue_boundary() -> None:
    outside = _outside_the_venue_boundary(GRAPH)
    assert not outside, "imports of the Exchange adapter outside venues/:\n" + "\n".join(outside)


def test_the_venue_boundary_check_sees_an_import_from_credentials() -> None:
    planted = {**GRAPH, "trade_tracker.credentials.service": {EXCHANGE + ".auth"}}
    assert _outside_the_venue_boundary(planted) == [f"trade_tracker.credentials.service -> {EXCHANGE}.auth"]
    assert not any(n.startswith("trade_tracker.credentials") for n in VENUE_WIRING)


def test_the_checks_see_a_circle_a_string_import_and_a_long_function(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert "trade_tracker.faces.cli.credentials" in GRAPH["trade_tracker.faces.cli"]  # the lazy command, a string
    assert "trade_tracker.sync" not in imports_of("trade_tracker.sync.jobs")  # a logger name is not an import
    # a name from a lazily re-exporting package is an edge to the module that defines it
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    from .store import TradeStore\n", encoding="utf-8")
    MODULES["trade_tracker.planted"] = planted
    try:
        assert imports_of("trade_tracker.planted") == {"trade_tracker.store", "trade_tracker.store.connection"}
    finally:
        del MODULES["trade_tracker.planted"]


#: What the simulator may import of the project all the same, and why: nothing that knows an API.
SIM_MAY_IMPORT = {
    "trade_tracker.lazy_exports": "the packages' lazy re-export mechanism, stdlib only: it knows no API, so "
    "it cannot make a client bug and a simulator bug agree (one copy, not one per tree)",
}


@pytest.mark.parametrize("name", ["trade_tracker.sim"])
def test_the_simulator_imports_nothing_of_the_project(name: str) -> None:
    outside = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        if module.startswith(name)
        for target in targets
        if not target.startswith(name) and target not in SIM_MAY_IMPORT
    )
    assert not outside, "\n".join(outside)
