"""The cold-start peer of bench 3: a bare ``mcp`` MCPServer with one trivial tool, over stdio.

Why: most of a Python MCP server's start is importing the SDK (about a second on a small
VM); comparing against this bare server, spawned the same way in the same run, measures
only what trade-tracker adds on top of that, on whatever machine the bench runs.

    python bench/bare_server.py        (speaks MCP on stdin/stdout until stdin closes)
"""

from __future__ import annotations

from mcp.server import MCPServer

server = MCPServer("bare")


@server.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    server.run("stdio")
