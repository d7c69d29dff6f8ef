"""Entry point of the .mcpb bundle: ``trade-tracker serve`` (stdio), run by the host with uv.

The bundle's ``server.type`` is ``uv``: the host installs Python and the dependencies from the bundled
``pyproject.toml`` with its own uv, then runs this file, so neither ``uvx`` nor ``trade-tracker`` has to
be on Claude Desktop's restricted PATH.
"""

import sys

from trade_tracker.faces.cli import main

if __name__ == "__main__":
    sys.argv = ["trade-tracker", "serve", *sys.argv[1:]]
    main()
