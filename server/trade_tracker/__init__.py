"""trade-tracker: an MCP server and CLI over a trader's Coinbase Exchange fills.

The package is laid out as ../docs describe: ``coinbase/`` talks to the exchange,
``vault``/``credentials`` keep keys encrypted, ``store``/``sync`` keep every fill once,
``analytics`` answers "how am I doing?", and ``mcp_server``/``cli`` are the two faces.
"""

__version__ = "0.1.0"
