"""Node 22 and pinned npm tools for the checks that need them, installed under ``.cache/`` in the repo.

The conformance suite and Inspector 2.x need Node >= 22 (Inspector 2.x: >= 22.19); many machines have
Node 20. When ``node --version`` is older, Node itself comes from the npm registry as the package
``node-<os>-<arch>@NODE_VERSION`` (``npm install --prefix .cache/node22``), so nothing is installed
globally and no other download site is used. npm tools are installed the same way, each pinned to an
exact version in its own prefix (``.cache/npm/<name>@<version>``). A second run finds both in the cache
and makes no network call.

    python conformance/node22.py                 # prints the bin directory holding a Node >= 22
    python conformance/node22.py --tool PKG@VER  # prints the path of that package's installed bin dir
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["NODE_VERSION", "REPO", "ensure_node", "ensure_tool", "node_env"]

#: The Node installed when the machine's is older than 22.19 (the newest 22.x tested here).
NODE_VERSION = "22.23.3"
MINIMUM = (22, 19)
REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache"

_ARCH = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


def _version(node: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.match(r"v(\d+)\.(\d+)", out.strip())
    return (int(match[1]), int(match[2])) if match else None


def _npm(args: list[str], prefix: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to fetch Node 22 and the npm tools; install Node.js (with npm) first")
    prefix.mkdir(parents=True, exist_ok=True)
    cmd = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(prefix), *args]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise SystemExit(f"npm install {' '.join(args)} failed:\n" + "\n".join(tail))


def ensure_node() -> Path:
    """The bin directory of a Node >= 22.19: the machine's own, else the cached one (fetched once)."""
    system = shutil.which("node")
    if system is not None and (_version(system) or (0, 0)) >= MINIMUM:
        return Path(system).resolve().parent
    arch = _ARCH.get(platform.machine().lower())
    osname = {"linux": "linux", "darwin": "darwin"}.get(sys.platform)
    if arch is None or osname is None:
        raise SystemExit(f"no npm Node package for {sys.platform}/{platform.machine()}; install Node >= 22.19")
    package = f"node-{osname}-{arch}"
    prefix = CACHE / "node22"
    bin_dir = prefix / "node_modules" / package / "bin"
    if _version(str(bin_dir / "node")) != tuple(int(p) for p in NODE_VERSION.split(".")[:2]):
        print(f"node22: fetching {package}@{NODE_VERSION} from the npm registry into {prefix}", file=sys.stderr)
        _npm([f"{package}@{NODE_VERSION}"], prefix)
    return bin_dir


def ensure_tool(spec: str) -> Path:
    """The ``node_modules/.bin`` of npm package ``name@exact-version``, installed once under .cache/npm."""
    name, _, version = spec.rpartition("@")
    if not name or not re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?", version):
        raise SystemExit(f"pin an exact version: {spec!r} is not name@X.Y.Z")
    prefix = CACHE / "npm" / spec.replace("/", "+")
    manifest = prefix / "node_modules" / name / "package.json"
    try:
        installed = json.loads(manifest.read_text())["version"]
    except (OSError, ValueError, KeyError):
        installed = None
    if installed != version:
        print(f"node22: installing {spec} into {prefix}", file=sys.stderr)
        _npm([spec], prefix)
    return prefix / "node_modules" / ".bin"


def node_env(node_bin: Path) -> dict[str, str]:
    """The environment with ``node_bin`` first on PATH (the tools' ``#!/usr/bin/env node`` finds it)."""
    env = dict(os.environ)
    env["PATH"] = f"{node_bin}{os.pathsep}{env.get('PATH', '')}"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", help="also install this npm package (name@exact-version); print its bin dir")
    args = parser.parse_args()
    node_bin = ensure_node()
    print(ensure_tool(args.tool) if args.tool else node_bin)


if __name__ == "__main__":
    main()
