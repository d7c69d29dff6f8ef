"""The conformance harness's own wiring: the token is injected only around the product's app, and the
baseline files stay what they claim to be (fixtures only in baseline.yml, one reason per line)."""

from __future__ import annotations

import importlib.util
import secrets
import sys
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def _harness():
    spec = importlib.util.spec_from_file_location("run_conformance", REPO / "conformance" / "run_conformance.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("run_conformance", module)
    spec.loader.exec_module(module)
    return module


async def _post(app, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765") as client:
        body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        return await client.post("/mcp", json=body, headers={"accept": "application/json", **headers})


@pytest.fixture
def token() -> str:
    return secrets.token_urlsafe(32)


async def test_the_product_still_refuses_a_request_without_a_token(token: str) -> None:
    from trade_tracker.faces.mcp.serve import BearerAndOriginGuard

    async def inner(scope, receive, send):  # what MCP would be: reached only past the guard
        raise AssertionError("the guard let an unauthenticated request through")

    guard = BearerAndOriginGuard(inner, token=token, allowed_hosts=["127.0.0.1:8765"], allowed_origins=[])
    assert (await _post(guard, {})).status_code == 401


async def test_inject_bearer_gives_the_guard_the_run_token_and_replaces_a_wrong_one(token: str) -> None:
    from trade_tracker.faces.mcp.serve import BearerAndOriginGuard

    reached = []

    async def inner(scope, receive, send):
        reached.append(dict(scope["headers"])[b"authorization"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guard = BearerAndOriginGuard(inner, token=token, allowed_hosts=["127.0.0.1:8765"], allowed_origins=[])
    app = _harness().InjectBearer(guard, token)
    assert (await _post(app, {})).status_code == 204
    assert (await _post(app, {"authorization": "Bearer wrong"})).status_code == 204
    assert reached == [f"Bearer {token}".encode()] * 2
    # The Host check still applies behind the injected token (the dns-rebinding scenario relies on it).
    assert (await _post(app, {"host": "evil.example.com"})).status_code == 421


def test_baseline_lists_only_everything_server_fixtures() -> None:
    text = (REPO / "conformance" / "baseline.yml").read_text()
    lines = [line for line in text.splitlines() if line.lstrip().startswith("- ")]
    assert lines, "the baseline parses to nothing"
    for line in lines:
        name, _, reason = line.partition("#")
        assert "test_" in reason or "test://" in reason, f"baseline entry without a fixture reason: {line.strip()}"
    names = _harness()._yaml_list(REPO / "conformance" / "baseline.yml")
    assert len(names) == len(set(names)) == len(lines)


def test_pending_entries_say_what_makes_them_pass_and_are_not_in_the_baseline() -> None:
    harness = _harness()
    pending = harness._yaml_list(REPO / "conformance" / "pending.yml")
    baseline = set(harness._yaml_list(REPO / "conformance" / "baseline.yml"))
    assert not baseline & set(pending)
    for line in (REPO / "conformance" / "pending.yml").read_text().splitlines():
        if line.strip().startswith("- "):
            assert "#" in line and len(line.partition("#")[2].strip()) > 20, line


def test_the_merged_expected_failures_file_is_valid_yaml_even_when_empty(tmp_path: Path, monkeypatch) -> None:
    harness = _harness()
    (tmp_path / "baseline.yml").write_text("server: []\n")
    (tmp_path / "pending.yml").write_text("server:\n  - completion-complete  # completions\n")
    monkeypatch.setattr(harness, "HERE", tmp_path)
    merged, baseline, pending = harness.expected_failures(tmp_path)
    assert merged.read_text() == "server:\n  - completion-complete\n"
    assert (baseline, pending) == (set(), {"completion-complete"})
    (tmp_path / "pending.yml").write_text("server: []\n")
    merged, _, _ = harness.expected_failures(tmp_path)
    assert merged.read_text() == "server: []\n"
