"""The real thing over stdio: `trade-tracker serve` as a child process, a credential stored through the CLI,
the simulator as the exchange. sync_fills sends progress notifications; query_trades returns the synced rows."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from mcp import Client, ClientSession, StdioServerParameters, stdio_client

from sim_fixtures import cli_command, server_env_for
from trade_tracker.sim import RunningSim

_cli = cli_command


@pytest.fixture
def server_env(sim: RunningSim, isolated_env: Path) -> dict[str, str]:
    return server_env_for(sim, isolated_env)


def _params(env: dict[str, str]) -> StdioServerParameters:
    cmd = _cli()
    return StdioServerParameters(command=cmd[0], args=[*cmd[1:], "serve"], env=env)


async def test_sync_over_stdio_with_progress_then_query(server_env: dict[str, str], sim: RunningSim) -> None:
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    async with stdio_client(_params(server_env)) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.server_info.name == "trade-tracker"
            assert "sandbox" in (init.instructions or "").lower()
            synced = await session.call_tool(
                "sync_fills", {"product_ids": ["BTC-USD", "SOL-USD"]}, progress_callback=on_progress
            )
            assert not synced.is_error, synced.content
            expected = len(sim.exchange.history("BTC-USD")) + len(sim.exchange.history("SOL-USD"))
            assert synced.structured_content["inserted"] == expected
            trades = await session.call_tool("query_trades", {"product_id": "SOL-USD", "limit": 200})
            assert not trades.is_error
    assert len(progress) >= 2 and any("SOL-USD" in (m or "") for _, m in progress)
    newest = sorted(sim.exchange.history("SOL-USD"), key=lambda f: f["trade_id"])[-1]
    table = trades.structured_content
    assert table["product_id"] == "SOL-USD"
    rows, price = table["rows"], table["columns"].index("price")
    assert rows[0][0] == newest["trade_id"] and rows[0][price] == newest["price"]
    assert len(rows) == min(200, len(sim.exchange.history("SOL-USD")))


async def test_auto_mode_over_stdio(server_env: dict[str, str]) -> None:
    async with Client(_params(server_env)) as client:
        creds = await client.call_tool("list_credentials", {})
    assert [c["label"] for c in creds.structured_content["credentials"]] == ["cli"]


def test_stdout_carries_only_protocol(server_env: dict[str, str]) -> None:
    """Nothing but JSON-RPC on stdout, even with debug logging on (logs go to stderr)."""
    import json

    env = {**server_env, "TRADE_TRACKER_LOG_LEVEL": "DEBUG"}
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    calls = [
        init,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_products", "arguments": {}}},
    ]
    proc = subprocess.run(
        [*_cli(), "serve"],
        input="".join(json.dumps(c) + "\n" for c in calls),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 2
    for line in lines:
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert "DEBUG" in proc.stderr  # the logs went somewhere: stderr
