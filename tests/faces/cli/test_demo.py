"""``trade-tracker demo``: runs offline and keyless, prints the transcript, and leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
from click.testing import CliRunner

from trade_tracker.faces.cli import demo, demo_transcript, main
from trade_tracker.store.connection import TradeStore
from trade_tracker.store.filters import Filters

SCRIPT = Path(sys.executable).with_name("trade-tracker")
COMMAND = [str(SCRIPT)] if SCRIPT.is_file() else [sys.executable, "-m", "trade_tracker"]
#: What a Coinbase Exchange secret looks like: base64 of 64 bytes.
SECRET_SHAPE = re.compile(r"[A-Za-z0-9+/]{86}==")


def _demo_env(tmp_path: Path) -> dict[str, str]:
    """The user's own settings are set (and wrong): the demo must ignore all of them."""
    return {
        **os.environ,
        "FIELD_ENCRYPTION_KEY": "not-a-fernet-key",
        "EX_API_KEY_READ": "user-key",
        "EX_API_SECRET_READ": "not base64!",
        "EX_API_PASSPHRASE_READ": "user-passphrase",
        "EX_BASE_URL": "http://127.0.0.1:9",
        "AT_API_KEY_NAME": "organizations/user/apiKeys/user",
        "AT_API_SECRET": "not a key",
        "AT_BASE_URL": "http://127.0.0.1:9",
        "TRADE_TRACKER_HOME": str(tmp_path / "users-own-home"),
    }


def _port_closed(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((parts.hostname, parts.port)) != 0


def _processes_in(home: Path) -> list[psutil.Process]:
    """Processes whose working directory is ``home`` (the MCP server runs there)."""
    found = []
    for proc in psutil.process_iter(["cwd"]):
        try:
            if proc.info["cwd"] and Path(proc.info["cwd"]) == home:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def _check_fees_this_year(out: str, home: Path) -> None:
    """The transcript answers "fees on ETH this year" with the store's exact figure, non-zero when the
    simulated history reaches into this year."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from trade_tracker.analytics.summary import summarize

    since = f"{datetime.now(UTC).year}-01-01"
    assert '"What did I pay in fees on ETH this year?"' in out
    assert f'-> trade_summary {{"product_id": "ETH-USD", "since": "{since}"}}' in out
    found = re.search(rf"=> fees on ETH-USD since {since}: (\S+) USD, over (\d+) fills", out)
    assert found, out
    with TradeStore(home / "trades.db") as store:
        entries = summarize(store, Filters.of(product_id="ETH-USD", since=since)).products
        this_year = store.conn.execute(
            "SELECT COUNT(*) FROM fills WHERE product_id = 'ETH-USD' AND created_at >= ?", (since,)
        ).fetchone()[0]
    expected = entries[0].fee_total if entries else "0"
    # the fills the summary counts (an Advanced Trade reversal undoes its fill: both leave the count)
    counted = entries[0].buy_count + entries[0].sell_count if entries else 0
    assert (found.group(1), int(found.group(2))) == (expected, counted)
    # The simulator's history ends now (issue 13 item 3), so from March on ETH (it trades every few days)
    # always has fills this year; in January and February the year may be too young.
    if datetime.now(UTC).month >= 3:
        assert this_year > 0
    if this_year:
        assert Decimal(found.group(1)) > 0


def test_demo_end_to_end(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*COMMAND, "demo"], cwd=tmp_path, env=_demo_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    for step in (
        "[1/5] simulator started",
        "Advanced Trade simulator started",
        "[2/5] credential 'demo' stored encrypted",
        "credential 'demo-advanced' stored encrypted (venue advanced",
        "can_view True, can_trade False, can_transfer False",
        "--venue advanced --key-file",
        "[3/5] MCP server",
        "[4/5] MCP client session",
        "[5/5] done",
    ):
        assert step in out
    for tool in ("list_credentials", "list_products", "get_ticker", "sync_fills", "query_trades", "trade_summary"):
        assert f"-> {tool} " in out
    # both venues: a ticker and a sync each, and one summary over both labels that adds up (the demo checks)
    assert '-> get_ticker {"product_id": "BTC-USD", "venue": "advanced"}' in out
    assert '-> sync_fills {"label": "demo-advanced"}' in out
    both = re.search(
        r"=> one summary over both venues: (\d+) fills = 3000 \(exchange, 'demo'\) \+ (\d+) \(advanced", out
    )
    assert both and int(both.group(1)) == 3000 + int(both.group(2)) and int(both.group(2)) > 0, out
    assert "verify: verified" in out
    assert re.search(r"\.\.\. BTC-USD: \d+ pages, \d+ fills", out), "no progress line"
    assert "3000 fills inserted" in out
    assert "5 newest stored fills" in out
    assert "3000 fills summarised" in out
    assert not SECRET_SHAPE.search(out + proc.stderr)
    assert "PRIVATE KEY" not in out + proc.stderr  # no CDP private key (PEM) either

    home = tmp_path / ".demo-home"
    assert (home / "trades.db").is_file()
    _check_fees_this_year(out, home)
    assert (home / "vault.key").stat().st_mode & 0o077 == 0
    assert not (tmp_path / "users-own-home").exists()
    assert not (home / "advanced-keys" / "cdp_api_key_ecdsa.json").exists()  # imported, then deleted
    with TradeStore(home / "trades.db") as store:
        venues = dict(store.conn.execute("SELECT label, venue FROM fills GROUP BY label, venue").fetchall())
    assert venues == {"demo": "exchange", "demo-advanced": "advanced"}

    for url in re.findall(r"simulator started: (http://\S+)", out):
        assert _port_closed(url)
    assert _processes_in(home.resolve()) == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_stops_the_demo_and_its_children(tmp_path: Path, signum: int) -> None:
    proc = subprocess.Popen(
        [*COMMAND, "demo", "--fills", "20000"],
        cwd=tmp_path,
        env=_demo_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "-> sync_fills" in line:
                break
        time.sleep(0.3)
        proc.send_signal(signum)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = "".join(lines) + rest
    assert proc.returncode == 130, out + err
    assert "interrupted" in err
    url = re.search(r"simulator started: (http://\S+)", out)
    assert url and _port_closed(url.group(1))
    deadline = time.monotonic() + 5
    while _processes_in((tmp_path / ".demo-home").resolve()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_in((tmp_path / ".demo-home").resolve()) == []


def test_prepare_home_resets_its_own_directory_only(tmp_path: Path) -> None:
    home = demo.prepare_home(tmp_path / "d")
    (home / "trades.db").write_text("old run")
    again = demo.prepare_home(tmp_path / "d")
    assert again == home and sorted(p.name for p in home.iterdir()) == [demo.MARKER]
    assert home.stat().st_mode & 0o077 == 0

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me")
    with pytest.raises(demo.DemoError, match="not empty"):
        demo.prepare_home(foreign)
    assert (foreign / "precious.txt").read_text() == "keep me"


def test_demo_refuses_a_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = CliRunner().invoke(main, ["demo", "--demo-home", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 2  # a usage error: one line on stderr, nothing on stdout
    assert "not empty" in result.stderr and result.stdout == ""
    assert (tmp_path / "precious.txt").exists()


def test_children_get_no_user_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", "k")
    monkeypatch.setenv("EX_API_SECRET_READ", "s")
    env = demo._child_env(EXTRA="1")
    assert "FIELD_ENCRYPTION_KEY" not in env and "EX_API_SECRET_READ" not in env and env["EXTRA"] == "1"


def test_describe_falls_back_to_plain_lines() -> None:
    assert demo_transcript.describe("unknown_tool", {"a": 1, "b": {"c": "d"}}) == ["      a: 1", '      b: {"c":"d"}']
    products = {"count": 1, "columns": ["id", "status", "x"], "rows": [["A-B", "online", 1]]}
    table = demo_transcript.describe("list_products", products)
    assert table[0].strip() == "1 products" and "A-B" in table[2]
