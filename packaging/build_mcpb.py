"""Build or validate the Claude Desktop bundle with the pinned ``@anthropic-ai/mcpb`` CLI.

    python packaging/build_mcpb.py validate   # mcpb validate packaging/mcpb/manifest.json
    python packaging/build_mcpb.py pack       # dist/trade-tracker-<version>.mcpb
    python packaging/build_mcpb.py check      # pack, unpack, and run it as the host would (uv run)

The bundle is of server type ``uv`` (manifest 0.4): it carries the tracked sources (``server/``), the
``pyproject.toml`` that declares the dependencies, README and LICENSE, the manifest and the entry script
``trade_tracker_mcpb.py``; the host installs Python and the dependencies with its own uv, so nothing
platform-specific is bundled. The staged tree is built from ``git ls-files`` (never a local .venv or
data file). The CLI comes from the npm registry into ``.cache/npm`` (conformance/node22.py).
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "conformance"))
sys.path.insert(0, str(REPO / "packaging"))

from node22 import ensure_node, ensure_tool, node_env  # noqa: E402

__all__ = ["MCPB", "check", "host_env", "main", "pack", "stage"]

MCPB = "@anthropic-ai/mcpb@2.1.2"
BUNDLE = REPO / "packaging" / "mcpb"


def _mcpb(*args: str) -> None:
    node_bin = ensure_node()
    cli = (ensure_tool(MCPB) / "mcpb").resolve()
    done = subprocess.run([str(node_bin / "node"), str(cli), *args], env=node_env(node_bin), cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"mcpb {args[0]} failed ({done.returncode})")


def stage(into: Path) -> None:
    """The bundle's tree: tracked sources and project files, the manifest, the entry script."""
    tracked = subprocess.run(
        ["git", "ls-files", "server", "pyproject.toml", "README.md", "LICENSE"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stdout.split()
    for name in tracked:
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, into / name)
    for name in ("manifest.json", "trade_tracker_mcpb.py"):
        shutil.copy2(BUNDLE / name, into / name)


def pack() -> Path:
    version = json.loads((BUNDLE / "manifest.json").read_text())["version"]
    out = REPO / "dist" / f"trade-tracker-{version}.mcpb"
    out.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tt-mcpb-") as tmp:
        stage(Path(tmp))
        _mcpb("pack", tmp, str(out))
    print(f"mcpb: wrote {out.relative_to(REPO)} ({out.stat().st_size // 1024} KiB)")
    return out


def host_env(manifest: dict, base: dict[str, str]) -> dict[str, str]:
    """The server's environment as the host builds it: mcp_config.env with each user_config default
    (an optional field left empty becomes the empty string)."""
    defaults = {k: str(v.get("default", "")) for k, v in manifest["user_config"].items()}
    env = dict(base)
    for name, value in manifest["server"]["mcp_config"]["env"].items():
        env[name] = re.sub(r"\$\{user_config\.(\w+)\}", lambda m: defaults[m[1]], value)
    return env


def check(bundle: Path) -> None:
    """Unpack the bundle and serve it the way its mcp_config says (uv run), then list its tools."""
    from check_installs import list_tools, pinned_tools, uv_env

    manifest = json.loads((BUNDLE / "manifest.json").read_text())
    with tempfile.TemporaryDirectory(prefix="tt-mcpb-check-") as tmp:
        unpacked, home = Path(tmp) / "bundle", Path(tmp) / "home"
        home.mkdir(mode=0o700)
        zipfile.ZipFile(bundle).extractall(unpacked)
        config = manifest["server"]["mcp_config"]
        args = [a.replace("${__dirname}", str(unpacked)) for a in config["args"]]
        env = host_env(manifest, uv_env(home))
        names = asyncio.run(asyncio.wait_for(list_tools(args, env), timeout=600))
    if names != pinned_tools():
        raise SystemExit(f"the bundle serves {names}, the snapshot pins {pinned_tools()}")
    print(f"mcpb: the unpacked bundle served tools/list under `uv {' '.join(config['args'][:1])}` ({len(names)} tools)")


def main() -> int:
    action = sys.argv[1] if len(sys.argv) > 1 else "pack"
    if action == "validate":
        _mcpb("validate", str(BUNDLE / "manifest.json"))
    elif action == "check":
        check(pack())
    else:
        pack()
    return 0


if __name__ == "__main__":
    sys.exit(main())
