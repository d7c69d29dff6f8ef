"""Lazy re-exports for the project's packages (PEP 562), written once, with each module's ``__all__`` as the
one list of what its package exports.

Each package ``__init__`` re-exports its modules' public names, but importing a heavy module (the HTTP
client, pydantic models, sqlite-utils) just because a sibling's name was re-exported would slow every
start: the CLI's ``--help`` and the MCP server's cold start are measured. So a package's ``__getattr__``
finds the module that defines a name and imports that module only, on first use, caching the value in
the package. It finds it in an index built once, on first use, from each sibling module's literal
``__all__``: no import, and no parse of the whole module (``ast.parse`` of every module costs ~130 ms,
more than the imports it saves); only the ``__all__ = [...]`` literal is found as text and read with
``ast.literal_eval``, so it must be a list or tuple of string literals (``tests/test_exports.py`` checks
this reading against a full parse for every module). The package's own ``__all__`` is served the same
way. A submodule name (``from .store import fills``) is answered without building the index.

A name spelt like its module (``sync.estimate.estimate``) is not indexed: the package attribute of that
name is the submodule, as Python's import system makes it.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["declared_all", "lazy_package"]

#: The start of a module-level ``__all__ = [`` (or ``__all__: list[str] = (``) statement.
_ALL = re.compile(r"^__all__\b[^=\n]*=\s*(\S)", re.MULTILINE)
_CLOSE = {"[": "]", "(": ")"}


def declared_all(path: str) -> list[str]:
    """The names in the literal ``__all__`` of the module at ``path`` ([] when it has none)."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    match = _ALL.search(text)
    if match is None:
        return []
    import ast  # here, not at the top: only the first use of a package's index needs it (--help does not)

    end = text.find(_CLOSE[match.group(1)], match.end()) if match.group(1) in _CLOSE else -1
    try:
        names: object = ast.literal_eval(text[match.start(1) : end + 1]) if end >= 0 else None
    except (SyntaxError, ValueError):
        names = None
    if not isinstance(names, list | tuple) or not all(isinstance(name, str) for name in names):
        raise ImportError(f"{path}: __all__ must be a literal list of quoted names, for its package to re-export")
    return [str(name) for name in names]


def _modules(folder: str) -> list[str]:
    """The modules in ``folder`` that a package may re-export from."""
    found = (name[:-3] for name in os.listdir(folder) if name.endswith(".py"))
    return sorted(m for m in found if m not in ("__init__", "__main__"))


def _index(package: str, folder: str) -> dict[str, str]:
    """name -> the module (in ``folder``) whose ``__all__`` lists it."""
    index: dict[str, str] = {}
    for module in _modules(folder):
        for name in declared_all(os.path.join(folder, f"{module}.py")):
            if name == module:
                continue
            if index.setdefault(name, module) != module:
                raise ImportError(f"{package}: {name!r} is in the __all__ of both .{index[name]} and .{module}")
    return index


def lazy_package(package: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, which re-exports every name its modules' ``__all__`` list."""
    namespace = sys.modules[package].__dict__
    folder = os.path.dirname(namespace["__file__"])
    built: dict[str, str] = {}

    def index() -> dict[str, str]:
        if not built:
            built.update(_index(package, folder))
        return built

    def __getattr__(name: str) -> Any:
        dunder = name.startswith("__") and name != "__all__"
        if dunder or os.path.exists(os.path.join(folder, f"{name}.py")) or os.path.isdir(os.path.join(folder, name)):
            # a submodule or subpackage not imported yet (the import system asks first, then imports it), or a
            # dunder that tools probe for: neither needs the index
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if name == "__all__":
            value: Any = sorted(index())
        elif (module := index().get(name)) is not None:
            value = getattr(importlib.import_module(f".{module}", package), name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *index()})

    return __getattr__, __dir__
