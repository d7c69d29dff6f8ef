"""Every package re-exports its modules' public names, and every module's ``__all__`` lists only what it defines.

A name is public when its module lists it in ``__all__``. The packages re-export lazily (PEP 562,
``_EXPORTS``), so ``from trade_tracker.store import TradeStore`` works without importing the rest.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "trade_tracker"
#: Packages whose ``__init__`` is its own public API rather than a re-export of every module, and why.
NOT_REEXPORTED = {
    "trade_tracker": "the root holds only the version: re-exporting the tree would load all of it",
    "trade_tracker.sim": "the simulator's documented API (sim/__init__.py), its modules are internals",
    "trade_tracker.faces.cli": "the CLI group; its heavy modules (commands, credentials, demo, serve, table) "
    "stay unimported for a fast --help",
}
#: Light CLI modules the group re-exports all the same (they load with the group anyway).
CLI_REEXPORTED = ("output", "options", "progress")


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


PACKAGES = sorted(_name(p) for p in PACKAGE.rglob("__init__.py"))
MODULES = sorted(_name(p) for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py"))


def _declared_all(module: str) -> list[str]:
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return []


def _submodules(package: str) -> list[str]:
    return [m for m in MODULES if m.rpartition(".")[0] == package]


@pytest.mark.parametrize("package", [p for p in PACKAGES if p not in NOT_REEXPORTED])
def test_every_public_name_is_exported_by_its_package(package: str) -> None:
    pkg = importlib.import_module(package)
    missing = []
    for module in _submodules(package):
        mod = importlib.import_module(module)
        for name in _declared_all(module):
            if name == module.rpartition(".")[2]:
                continue  # named as its module (sync.estimate.estimate): the package attribute is the module
            if name not in pkg.__all__ or getattr(pkg, name) is not getattr(mod, name):
                missing.append(f"{module}.{name}")
    assert not missing, f"{package} does not export: {missing}"


def test_the_cli_group_exports_its_light_modules() -> None:
    cli = importlib.import_module("trade_tracker.faces.cli")
    for leaf in CLI_REEXPORTED:
        module = importlib.import_module(f"trade_tracker.faces.cli.{leaf}")
        for name in module.__all__:
            assert getattr(cli, name) is getattr(module, name), f"{leaf}.{name}"


@pytest.mark.parametrize("module", MODULES)
def test_a_modules_all_lists_only_what_it_defines(module: str) -> None:
    path = PACKAGE.parent / (module.replace(".", "/") + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    defined: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node in tree.body:
            defined.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    not_defined = [name for name in _declared_all(module) if name not in defined]
    assert not not_defined, f"{module}.__all__ re-exports {not_defined}: import them from where they are defined"


def test_an_unknown_name_is_an_attribute_error() -> None:
    store = importlib.import_module("trade_tracker.store")
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = store.no_such_name
    assert "TradeStore" in dir(store)
