"""``trade_summary`` over a label of each venue equals an independent FIFO (issue 15, "Done when").

End to end through the CLI a user runs: a Coinbase Exchange key (three lines on stdin) and a Coinbase
Advanced Trade key (the simulator's CDP key file) stored in one home, both synced from their simulators,
then ``summary`` per label compared, product by product, with ``tests/analytics/fifo_oracle.py``: a FIFO
written apart from ``analytics`` (Fraction arithmetic, reversals applied, quote-sized fills converted),
fed the simulators' own histories mapped to store rows by the tests' own mapping (``sim_fixtures``).
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from analytics.fifo_oracle import oracle
from sim_fixtures import advanced_history_rows, cli_command, history_rows
from trade_tracker.sim import RunningSim
from trade_tracker.sim.advanced import RunningAdvanced
from trade_tracker.store.fills import FILL_COLUMNS

#: The summary fields the oracle computes (the FIFO figures of one product).
FIGURES = (
    "buy_count",
    "sell_count",
    "buy_size",
    "sell_size",
    "quote_volume",
    "fee_total",
    "realized_pnl",
    "position",
    "cost_basis",
)


def posted_at(text: str | None) -> tuple[datetime, int]:
    """A ``sequence_timestamp`` as an instant: 6 and 9 fractional digits both occur, so never the string."""
    if text is None:
        return datetime.min.replace(tzinfo=UTC), 0
    head, _, frac = text.rstrip("Z").partition(".")
    nanos = int((frac + "000000000")[:9]) if frac else 0
    return datetime.fromisoformat(head).replace(tzinfo=UTC), nanos


def oracle_input(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Store rows as the oracle's mappings, in posting order (Exchange rows have no posting time)."""
    fills = [dict(zip(FILL_COLUMNS, row, strict=True)) for row in rows]
    return sorted(fills, key=lambda f: posted_at(f.get("sequence_timestamp")))


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*cli_command(), *args], env=env, input=stdin, text=True, capture_output=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


def summary_of(env: dict[str, str], label: str) -> dict[str, dict[str, Any]]:
    out = json.loads(run(env, "summary", "--label", label).stdout)
    return {p["product_id"]: p for p in out["products"]}


def assert_matches(got: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]]) -> None:
    assert set(got) == set(expected)
    for product, figures in expected.items():
        mine = {k: Decimal(str(got[product][k])) for k in FIGURES}
        assert mine == {k: Decimal(figures[k]) for k in FIGURES}, product


def test_summary_of_each_venue_equals_an_independent_fifo(
    sim: RunningSim, sim_advanced: RunningAdvanced, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {
        "PATH": "/usr/bin:/bin",
        "TRADE_TRACKER_HOME": str(home),
        "EX_BASE_URL": sim.url,
        "AT_BASE_URL": sim_advanced.url,
    }
    c = sim.credential
    run(env, "credentials", "add", "--label", "ex", stdin=f"{c.key}\n{c.secret}\n{c.passphrase}\n")
    run(env, "credentials", "add", "--label", "at", "--venue", "advanced", "--key-file", str(sim_advanced.ed25519.path))
    run(env, "sync-fills", "--label", "ex")
    run(env, "sync-fills", "--label", "at")

    adjusted = advanced_history_rows(sim_advanced, "at")
    kinds = {dict(zip(FILL_COLUMNS, r, strict=True))["trade_type"] for r in adjusted}
    assert {"REVERSAL", "CORRECTION"} <= kinds  # the history holds what the reading must apply
    assert any(dict(zip(FILL_COLUMNS, r, strict=True))["size_in_quote"] for r in adjusted)

    assert_matches(summary_of(env, "ex"), oracle(oracle_input(history_rows(sim.exchange, "ex"))))
    assert_matches(summary_of(env, "at"), oracle(oracle_input(adjusted)))
