"""Check the uv install routes from this checkout (``make installs``, run by CI on a clean clone).

1. ``uv tool run --from . trade-tracker --help``: what a user gets from a source checkout.
2. ``uv build --wheel`` of the checkout, then that wheel under ``uv tool run --from <wheel> trade-tracker
   serve``, driven over stdio by the MCP Python client (the 2025-11-25 handshake, then ``tools/list``): the
   tool names must be the ones pinned in ``tests/snapshots/tools.json``. This is exactly what
   ``uvx --from trade-tracker-mcp trade-tracker serve`` runs once the wheel is on PyPI.

uv itself comes from PyPI into the project's .venv (the Makefile installs it); its cache and tool
environments stay in ``.cache/uv`` and Python is never downloaded (``UV_PYTHON_DOWNLOADS=never``: uv uses
this interpreter). The server runs with a fresh temporary ``TRADE_TRACKER_HOME`` and a refused loopback
``EX_BASE_URL``, so nothing is read from or written to the user's data and no exchange is called.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["check_help", "check_wheel_serves", "list_tools", "main", "pinned_tools", "uv_env"]

REPO = Path(__file__).resolve().parent.parent


def uv_env(home: Path) -> dict[str, str]:
    """uv confined to .cache/uv, using this Python, PyPI over the system's certificates."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("EX_", "FIELD_ENCRYPTION", "TRADE_"))}
    cache = REPO / ".cache" / "uv"
    env.update(
        UV_CACHE_DIR=str(cache / "cache"),
        UV_TOOL_DIR=str(cache / "tools"),
        UV_TOOL_BIN_DIR=str(cache / "bin"),
        UV_PYTHON=sys.executable,
        UV_PYTHON_DOWNLOADS="never",
        UV_SYSTEM_CERTS="1",
        UV_NO_CONFIG="1",
        TRADE_TRACKER_HOME=str(home),
        EX_BASE_URL="http://127.0.0.1:9",
    )
    return env


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        raise SystemExit("uv is missing: make installs puts it into .venv (pip install uv)")
    return found


def check_help(env: dict[str, str]) -> None:
    done = subprocess.run(
        [_uv(), "tool", "run", "--quiet", "--from", str(REPO), "trade-tracker", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    if done.returncode != 0 or "serve" not in done.stdout:
        raise SystemExit(
            f"uv tool run --from . trade-tracker --help failed ({done.returncode}):\n{done.stderr[-2000:]}"
        )
    print("installs: uv tool run --from . trade-tracker --help: ok")


def build_wheel(env: dict[str, str], out: Path) -> Path:
    done = subprocess.run(
        [_uv(), "build", "--quiet", "--wheel", "--out-dir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )
    wheels = sorted(out.glob("trade_tracker_mcp-*.whl"))
    if done.returncode != 0 or not wheels:
        raise SystemExit(f"uv build --wheel failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wheels[-1]


async def list_tools(args: list[str], env: dict[str, str]) -> list[str]:
    """Start ``uv <args>`` as an MCP stdio server; the 2025-11-25 handshake, then the tool names."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(command=_uv(), args=args, env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        if init.server_info.name != "trade-tracker":
            raise SystemExit(f"the server calls itself {init.server_info.name!r}")
        return sorted(tool.name for tool in (await session.list_tools()).tools)


def pinned_tools() -> list[str]:
    return sorted(t["name"] for t in json.loads((REPO / "tests" / "snapshots" / "tools.json").read_text()))


def check_wheel_serves(env: dict[str, str], out: Path) -> None:
    wheel = build_wheel(env, out)
    started = time.monotonic()
    args = ["tool", "run", "--quiet", "--from", str(wheel), "trade-tracker", "serve"]
    names = asyncio.run(asyncio.wait_for(list_tools(args, env), timeout=600))
    pinned = pinned_tools()
    if names != pinned:
        raise SystemExit(f"the wheel serves {names}, the snapshot pins {pinned}")
    print(
        f"installs: {wheel.name} under uv tool run: serve answered tools/list ({len(names)} tools) "
        f"in {time.monotonic() - started:.1f} s"
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tt-installs-") as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "dist"
        home.mkdir(mode=0o700)
        env = uv_env(home)
        check_help(env)
        check_wheel_serves(env, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
