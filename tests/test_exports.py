"""Every package re-exports its modules' public names, and every module's ``__all__`` lists only what it defines.

A name is public when its module lists it in ``__all__``, the one list: the packages re-export lazily
(PEP 562, ``lazy_exports.lazy_package`` reads the modules' ``__all__``), so ``from trade_tracker.store import
TradeStore`` works without importing the rest.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from trade_tracker.lazy_exports import declared_all

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


@pytest.mark.parametrize("package", [p for p in PACKAGES if p not in NOT_REEXPORTED])
def test_a_package_exports_nothing_else_and_sees_each_name_statically(package: str) -> None:
    """The package's ``__all__`` is exactly its modules' (less a name spelt like its module), and its
    ``if TYPE_CHECKING:`` block star-imports every module that has an ``__all__`` (the type checker's view)."""
    pkg = importlib.import_module(package)
    public = {n for m in _submodules(package) for n in _declared_all(m) if n != m.rpartition(".")[2]}
    assert sorted(pkg.__all__) == sorted(public)
    assert set(dir(pkg)) >= public
    init = PACKAGE.parent / package.replace(".", "/") / "__init__.py"
    starred = {
        node.module
        for node in ast.walk(ast.parse(init.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level == 1 and [a.name for a in node.names] == ["*"]
    }
    assert starred == {m.rpartition(".")[2] for m in _submodules(package) if _declared_all(m)}


@pytest.mark.parametrize("package", [p for p in PACKAGES if p not in NOT_REEXPORTED and ".sim" not in p])
def test_importing_a_package_imports_none_of_its_modules(package: str) -> None:
    """Laziness, in a fresh interpreter: ``--help`` and the MCP cold start depend on it."""
    code = f"import sys, {package} as p; p.__all__; dir(p); print(sorted(m for m in sys.modules if '{package}.' in m))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


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


def test_lazy_package_reads_the_modules_all_and_imports_only_the_defining_module(tmp_path: Path) -> None:
    pkg = tmp_path / "lazypkg_demo"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from trade_tracker.lazy_exports import lazy_package\n__getattr__, __dir__ = lazy_package(__name__)\n"
    )
    (pkg / "light.py").write_text(
        '"""doc: __all__ = [no]"""\n__all__: list[str] = [\n    "A",  # a\n    "light",\n]\nA = 1\n'
    )
    (pkg / "heavy.py").write_text('__all__ = ("B",)\nB = 2\n')
    code = (
        "import sys, lazypkg_demo as p; assert p.__all__ == ['A', 'B'], p.__all__; assert 'B' in dir(p);"
        "assert 'lazypkg_demo.heavy' not in sys.modules and 'lazypkg_demo.light' not in sys.modules;"
        "assert p.A == 1; assert 'lazypkg_demo.heavy' not in sys.modules; print('ok')"
    )
    env_path = f"{tmp_path}:{PACKAGE.parent}"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PYTHONPATH": env_path})
    assert run.stdout.strip() == "ok", run.stderr
    (pkg / "again.py").write_text('__all__ = ["A"]\nA = 3\n')
    run = subprocess.run(
        [sys.executable, "-c", "import lazypkg_demo as p; p.A"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": env_path},
    )
    assert "'A' is in the __all__ of both .again and .light" in run.stderr


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("__all__ = []\n", []),
        ("__all__ = ('a', \"B\",)  # tuple\n", ["a", "B"]),
        ("x = 1\n", []),
        ("__all__ = sorted(NAMES)\n", None),
        ('__all__ = ["a", B]\n', None),
        ('__all__ = ["a",, "b"]\n', None),
    ],
)
def test_declared_all_reads_only_a_literal_list(tmp_path: Path, source: str, names: list[str] | None) -> None:
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    if names is None:
        with pytest.raises(ImportError, match="literal list of quoted names"):
            declared_all(str(path))
    else:
        assert declared_all(str(path)) == names


def test_an_unknown_name_is_an_attribute_error() -> None:
    store = importlib.import_module("trade_tracker.store")
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = store.no_such_name
    assert "TradeStore" in dir(store)
