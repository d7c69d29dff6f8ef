"""Lazy re-exports for the simulator's packages (PEP 562), written once.

sim/ imports nothing from the project, so it keeps its own copy of ``trade_tracker.lazy_exports``.

Each package ``__init__`` re-exports its modules' public names, but importing a heavy module (the HTTP
client, pydantic models, sqlite-utils) just because a sibling's name was re-exported would slow every
start: the CLI's ``--help`` and the MCP server's cold start are measured. So a package maps each name
to the module that defines it and imports that module on first use, caching the value in the package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose name ``n`` lives in ``.{exports[n]}``."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *namespace.get("__all__", ())})

    return __getattr__, __dir__
