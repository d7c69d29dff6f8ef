"""The ``trade-tracker`` command line: output shapes, JSON layout, exit codes, no secrets.

Exchange verbs run against the in-process simulator (``trade_tracker.sim.running_sim``);
the one answer the simulator cannot give (a malformed body) comes from respx.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from click.testing import CliRunner, Result

from trade_tracker import errors
from trade_tracker.faces.cli import EXIT_CODES, ExitCode, exit_code_for, main, output
from trade_tracker.faces.cli.progress import SyncProgressBar
from trade_tracker.sim import RunningSim, running_sim

DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture(scope="module")
def cli_sim() -> Iterator[RunningSim]:
    """One small simulated exchange for the module (no rate limits, so tests never wait)."""
    with running_sim(fills=300, seed=7, rate_limits=False) as sim:
        yield sim


@pytest.fixture
def exchange_env(cli_sim: RunningSim, monkeypatch: pytest.MonkeyPatch) -> RunningSim:
    """Point the CLI at the simulator, with no credential configured yet; retries never wait."""
    monkeypatch.setenv("EX_BASE_URL", cli_sim.url)
    monkeypatch.setenv("EX_RETRY_ATTEMPTS", "1")
    return cli_sim


@pytest.fixture
def env_credential(exchange_env: RunningSim, monkeypatch: pytest.MonkeyPatch) -> RunningSim:
    """The simulator's key as the ``env`` credential."""
    cred = exchange_env.credential
    monkeypatch.setenv("EX_API_KEY_READ", cred.key)
    monkeypatch.setenv("EX_API_SECRET_READ", cred.secret)
    monkeypatch.setenv("EX_API_PASSPHRASE_READ", cred.passphrase)
    return exchange_env


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def out_json(result: Result) -> Any:
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    return json.loads(result.stdout)


def assert_error(result: Result, code: int, *fragments: str) -> str:
    """A failure is one line on stderr, nothing on stdout, and the expected exit code."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def assert_no_secret(result: Result, sim: RunningSim) -> None:
    text = result.stdout + result.stderr
    assert sim.credential.secret not in text
    assert sim.credential.passphrase not in text
    assert sim.credential.key not in text


def add_credential(label: str, sim: RunningSim) -> Result:
    c = sim.credential
    return run("credentials", "add", "--label", label, input=f"{c.key}\n{c.secret}\n{c.passphrase}\n")


# -- help, usage, layout ----------------------------------------------------------------------------

VERBS = [
    "products",
    "ticker",
    "accounts",
    "orders",
    "fills",
    "sync-fills",
    "sync-status",
    "trades",
    "summary",
    "export",
    "credentials",
    "serve",
    "sim",
    "demo",
]


def test_help_lists_every_verb() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for verb in VERBS:
        assert re.search(rf"^\s+{verb}\s", result.stdout, re.M), verb


@pytest.mark.parametrize("verb", VERBS)
def test_each_verb_has_help(verb: str) -> None:
    assert run(verb, "--help").exit_code == 0


def test_no_arguments_prints_help() -> None:
    result = run()
    assert result.exit_code == 0
    assert "Commands:" in result.stdout


def test_help_imports_nothing_heavy() -> None:
    """``--help`` must stay fast: no pydantic, httpx, mcp or sqlite_utils at import or help time."""
    code = (
        "import sys\n"
        "from trade_tracker.faces.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pydantic', 'httpx', 'mcp', 'sqlite_utils', 'trade_tracker.app') if m in sys.modules]\n"
        "print(heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip() == "[]"


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and "trade-tracker" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-verb"],
        ["trades", "--no-such-option"],
        ["trades", "--since", "last tuesday"],
        ["trades", "--side", "hold"],
        ["trades", "--limit", "0"],
        ["ticker"],
        ["ticker", "--product", "BTCUSD"],
        ["fills"],
        ["fills", "--product-id", "BTC-USD", "--order-id", "5f1a2b3c-0000-4000-8000-000000000000"],
        ["orders", "--status", "finished"],
        ["summary", "--group-by", "year"],
        ["serve", "--transport", "carrier-pigeon"],
        ["sim", "--fail-rate", "2"],
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str]) -> None:
    line = assert_error(run(*args), ExitCode.USAGE)
    assert line.startswith("error: ")


def test_json_is_compact_when_piped_and_indented_on_a_terminal(
    exchange_env: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    piped = run("ticker", "--product", "BTC-USD")
    assert piped.exit_code == 0 and piped.stdout.count("\n") == 1

    monkeypatch.setattr(output, "_stdout_is_tty", lambda: True)
    tty = run("ticker", "--product", "BTC-USD")
    assert tty.stdout.startswith("{\n  ") and json.loads(tty.stdout)["product_id"] == "BTC-USD"

    compact = run("--compact", "ticker", "--product", "BTC-USD")
    assert compact.stdout.count("\n") == 1 and json.loads(compact.stdout)["product_id"] == "BTC-USD"

    monkeypatch.setattr(output, "_stdout_is_tty", lambda: False)
    assert run("--pretty", "ticker", "--product", "BTC-USD").stdout.startswith("{\n  ")


# -- exchange verbs ----------------------------------------------------------------------------------


def test_products(exchange_env: RunningSim) -> None:
    data = out_json(run("products"))
    assert data["count"] == len(data["rows"]) >= 3
    ids = [row[data["columns"].index("id")] for row in data["rows"]]
    assert {"BTC-USD", "ETH-USD", "SOL-USD"} <= set(ids)
    inc = data["columns"].index("quote_increment")
    assert all(isinstance(row[inc], str) and DECIMAL.match(row[inc]) for row in data["rows"])

    online = out_json(run("products", "--status", "online", "--query", "eth"))
    assert [row[0] for row in online["rows"]] == ["ETH-USD"]


def test_ticker_money_is_exact_decimal_strings(exchange_env: RunningSim) -> None:
    data = out_json(run("ticker", "--product", "eth-usd"))
    assert data["product_id"] == "ETH-USD"
    assert set(data) >= {"price", "size", "bid", "ask", "volume", "time", "trade_id"}
    for field in ("price", "size", "bid", "ask", "volume"):
        assert isinstance(data[field], str) and DECIMAL.match(data[field]), field


def test_accounts_with_env_credential(env_credential: RunningSim) -> None:
    result = run("accounts")
    data = out_json(result)
    assert data["label"] == "env"
    assert data["count"] == len(data["accounts"]) > 0
    assert all(DECIMAL.match(a["balance"]) for a in data["accounts"])
    assert_no_secret(result, env_credential)
    everything = out_json(run("accounts", "--all"))
    assert everything["count"] >= data["count"]


def test_orders(env_credential: RunningSim) -> None:
    data = out_json(run("orders", "--status", "done", "--status", "done", "--limit", "3"))
    assert data["status_filter"] == ["done"]
    assert data["count"] == len(data["rows"]) == 3
    status = data["columns"].index("status")
    assert {row[status] for row in data["rows"]} == {"done"}


def test_fills_pages(env_credential: RunningSim) -> None:
    first = out_json(run("fills", "--product-id", "BTC-USD", "--limit", "5"))
    assert first["count"] == 5 and first["label"] == "env"
    # the cursor is opaque text for every venue (Exchange's is its CB-AFTER trade id)
    assert first["columns"][0] == "trade_id" and first["venue"] == "exchange" and first["next_after"].isdigit()
    older = out_json(run("fills", "--product-id", "BTC-USD", "--limit", "5", "--after", str(first["next_after"])))
    assert max(r[0] for r in older["rows"]) < min(r[0] for r in first["rows"])


def test_label_defaults_to_the_only_stored_credential(exchange_env: RunningSim) -> None:
    added = add_credential("main", exchange_env)
    assert added.exit_code == 0, added.stderr
    assert_no_secret(added, exchange_env)
    result = run("accounts")
    assert out_json(result)["label"] == "main"
    assert_no_secret(result, exchange_env)


def test_label_is_ambiguous_with_two_stored_credentials(exchange_env: RunningSim) -> None:
    assert add_credential("alpha", exchange_env).exit_code == 0
    assert add_credential("beta", exchange_env).exit_code == 0
    assert_error(run("accounts"), ExitCode.AUTH, "alpha", "beta")
    assert out_json(run("accounts", "--label", "beta"))["label"] == "beta"
    assert_error(run("accounts", "--label", "gamma"), ExitCode.AUTH, "alpha", "beta")


def test_no_credential_is_an_auth_error(exchange_env: RunningSim) -> None:
    assert_error(run("fills", "--product-id", "BTC-USD"), ExitCode.AUTH, "credentials add")


def test_rejected_key_is_an_auth_error_without_secrets(
    env_credential: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = base64.b64encode(os.urandom(64)).decode()
    monkeypatch.setenv("EX_API_SECRET_READ", wrong)
    result = run("accounts")
    assert_error(result, ExitCode.AUTH, "rejected")
    assert wrong not in result.stderr
    assert_no_secret(result, env_credential)


@pytest.mark.parametrize("status", [429, 503])
def test_exchange_failures_are_network_errors(env_credential: RunningSim, status: int) -> None:
    env_credential.exchange.fail_next(status, 1)
    assert_error(run("ticker", "--product", "BTC-USD"), ExitCode.NETWORK)
    assert run("ticker", "--product", "BTC-USD").exit_code == 0  # the fault was used up


def test_unreachable_exchange_is_a_network_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("EX_RETRY_ATTEMPTS", "1")
    assert_error(run("products"), ExitCode.NETWORK, "nothing is listening at http://127.0.0.1:9", "EX_BASE_URL")


def test_nothing_listening_fails_fast_with_the_default_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("EX_BASE_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    line = assert_error(run("products"), ExitCode.NETWORK)
    assert time.monotonic() - started < 3.0
    assert line == (
        f"error: nothing is listening at http://127.0.0.1:{port} (connection refused on GET /products): "
        "is EX_BASE_URL right?"
    )


@pytest.mark.parametrize("url", ["http://192.0.2.1", "http://exchange.example:8080", "http://[2001:db8::5]"])
@pytest.mark.parametrize("verb", [("products",), ("accounts",), ("credentials", "list"), ("serve",)])
def test_plain_http_to_another_host_is_refused_before_any_connection(
    monkeypatch: pytest.MonkeyPatch, url: str, verb: tuple[str, ...]
) -> None:
    import socket

    opened: list[object] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        opened.append(address)
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: opened.append(address) or 111)
    monkeypatch.setenv("EX_BASE_URL", url)
    with respx.mock(assert_all_called=False) as mock:
        anything = mock.route().respond(200, json=[])
        result = run(*verb)
    assert_error(result, ExitCode.USAGE, "EX_BASE_URL", "unencrypted", "https://")
    assert not anything.called and opened == []


def test_a_stored_key_is_refused_for_another_base_url(
    exchange_env: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    cred = exchange_env.credential
    assert (
        run(
            "credentials",
            "add",
            "--label",
            "main",
            "--no-verify",
            input=f"{cred.key}\n{cred.secret}\n{cred.passphrase}\n",
        ).exit_code
        == 0
    )
    monkeypatch.setenv("EX_BASE_URL", "https://elsewhere.example")
    with respx.mock(assert_all_called=False) as mock:
        anything = mock.route().respond(200, json=[])
        line = assert_error(
            run("accounts"),
            ExitCode.AUTH,
            exchange_env.url,
            "https://elsewhere.example",
            "credentials verify --label=main --rebind",
        )
    assert not anything.called
    assert cred.secret not in line and cred.passphrase not in line and cred.key not in line


def cli_process(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "TRADE_TRACKER_LOG_LEVEL"}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "trade_tracker", "--compact", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("level", ["INFO", "debug"])
def test_log_level_is_honoured_and_retries_are_logged_plainly(cli_sim: RunningSim, level: str) -> None:
    cli_sim.exchange.fail_next(503, 1, path="/products/BTC-USD/ticker")
    done = cli_process("ticker", "--product", "BTC-USD", EX_BASE_URL=cli_sim.url, TRADE_TRACKER_LOG_LEVEL=level)
    assert done.returncode == 0, done.stderr
    assert "INFO trade_tracker.coinbase: GET /products/BTC-USD/ticker: answered 503; retry 1 in" in done.stderr
    assert "stamina" not in done.stderr
    assert json.loads(done.stdout)["product_id"] == "BTC-USD"


def test_retries_are_quiet_at_the_default_log_level(cli_sim: RunningSim) -> None:
    cli_sim.exchange.fail_next(503, 1, path="/products/BTC-USD/ticker")
    done = cli_process("ticker", "--product", "BTC-USD", EX_BASE_URL=cli_sim.url)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_an_unknown_log_level_says_so_and_uses_warning(cli_sim: RunningSim) -> None:
    done = cli_process("ticker", "--product", "BTC-USD", EX_BASE_URL=cli_sim.url, TRADE_TRACKER_LOG_LEVEL="loud")
    assert done.returncode == 0
    assert "TRADE_TRACKER_LOG_LEVEL='loud' is not a log level" in done.stderr


def test_malformed_answer_is_a_data_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_BASE_URL", "https://exchange.test")
    with respx.mock(assert_all_called=True) as mock:
        mock.get("https://exchange.test/products/BTC-USD/ticker").mock(
            return_value=httpx.Response(200, json={"unexpected": True})
        )
        assert_error(run("ticker", "--product", "BTC-USD"), ExitCode.DATA, "shape")


def test_bad_setting_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EX_BASE_URL", "ftp://nowhere")
    assert_error(run("products"), ExitCode.USAGE, "EX_BASE_URL")


def test_a_home_others_can_write_is_refused_as_a_setting_with_the_chmod(isolated_env: Path) -> None:
    """TRADE_TRACKER_HOME is a setting (exit 2), refused before any file in it is opened."""
    isolated_env.chmod(0o777)
    line = assert_error(run("trades"), ExitCode.USAGE, "TRADE_TRACKER_HOME", f"chmod 700 {isolated_env}")
    assert "other users" in line
    assert list(isolated_env.iterdir()) == []  # no trades.db was created in it
    isolated_env.chmod(0o700)
    assert out_json(run("trades"))["count"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["trades"],
        ["summary"],
        ["export", "--csv", "x.csv"],
        ["accounts"],
        ["sync-fills"],
        ["credentials", "add"],
        ["credentials", "verify"],
        ["credentials", "remove"],
    ],
)
@pytest.mark.parametrize("label", ["main\n", "main\r\n", "\nmain", "ma in"])
def test_every_label_option_refuses_a_label_with_a_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], label: str
) -> None:
    """The same check as the MCP tools' ``label`` (labels.check_label): a usage error, nothing done."""
    monkeypatch.chdir(tmp_path)
    line = assert_error(run(*args, "--label", label), ExitCode.USAGE, "--label", "a label must be 1-64 characters")
    assert repr(label) in line
    assert not (tmp_path / "x.csv").exists()


def test_damaged_store_is_a_data_error(isolated_env: Path) -> None:
    db = isolated_env / "trades.db"
    db.write_bytes(b"this is not sqlite" * 100)
    db.chmod(0o600)
    assert_error(run("trades"), ExitCode.DATA, "not an SQLite database")


def test_home_option_overrides_the_environment(tmp_path: Path, isolated_env: Path) -> None:
    other = tmp_path / "elsewhere"
    data = out_json(run("--home", str(other), "trades"))
    assert data == {
        "count": 0,
        "product_id": None,
        "label": None,
        "venue": None,
        "columns": data["columns"],
        "rows": [],
        "next_cursor": None,
        "hint": "nothing stored yet: run sync_fills",
    }
    assert (other / "trades.db").is_file()
    assert not (isolated_env / "trades.db").exists()


# -- unexpected failures, interrupts ------------------------------------------------------------------


def _explode(exc: BaseException) -> Any:
    async def boom(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise exc

    return boom


def test_unexpected_error_is_one_line_without_detail(monkeypatch: pytest.MonkeyPatch) -> None:
    from trade_tracker.app import TradeTracker

    monkeypatch.setattr(TradeTracker, "list_products", _explode(RuntimeError("hunter2 detail")))
    result = run("products")
    line = assert_error(result, ExitCode.INTERNAL)
    assert line == "internal error: RuntimeError"

    monkeypatch.setenv("TRADE_TRACKER_DEBUG", "1")
    debug = run("products")
    assert debug.exit_code == ExitCode.INTERNAL and "Traceback" in debug.stderr


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    from trade_tracker.app import TradeTracker

    monkeypatch.setattr(TradeTracker, "list_products", _explode(KeyboardInterrupt()))
    result = run("products")
    assert result.exit_code == ExitCode.INTERRUPTED
    assert result.stderr.strip() == "interrupted"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.InvalidArgument("x"), 2),
        (errors.ConfigError("x"), 2),
        (errors.InvalidSignature("x", status_code=401), 3),
        (errors.PermissionDenied("x", status_code=403), 3),
        (errors.CredentialNotFound("x"), 3),
        (errors.InvalidCredential("x"), 3),
        (errors.ExchangeUnreachable("x"), 4),
        (errors.ExchangeUnavailable("x", status_code=503), 4),
        (errors.RateLimited("x", status_code=429), 4),
        (errors.NotFound("x", status_code=404), 4),
        (errors.ExchangeError("x"), 4),
        (errors.ExchangeProtocolError("x"), 5),
        (errors.StoreBusy("x"), 5),
        (errors.WrongVaultKey("x"), 5),
        (errors.InsecurePermissions("x"), 5),
        (errors.SyncCancelled("x"), 130),
        (errors.TradeTrackerError("x"), 1),
    ],
)
def test_exit_code_table(exc: Exception, code: int) -> None:
    assert exit_code_for(exc) == code


def test_every_error_class_has_a_deliberate_code() -> None:
    mapped = {cls for cls, _ in EXIT_CODES}
    for name in errors.__all__:
        cls = getattr(errors, name)
        if cls is not errors.TradeTrackerError:
            assert any(issubclass(cls, m) for m in mapped), name


# -- serve, sim (wiring only) -------------------------------------------------------------------------


def test_serve_passes_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    import trade_tracker.faces.mcp.serve as mcp_serve

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(mcp_serve, "run", lambda **kw: calls.append(kw))
    assert run("serve").exit_code == 0
    assert run("serve", "--transport", "http", "--port", "9000", "--host", "::1", "--allow-remote").exit_code == 0
    assert calls == [
        {"transport": "stdio", "host": "127.0.0.1", "port": 8765, "allow_remote": False},
        {"transport": "http", "host": "::1", "port": 9000, "allow_remote": True},
    ]


def test_serve_refusal_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_error(run("serve", "--transport", "http", "--host", "0.0.0.0"), ExitCode.USAGE, "--allow-remote")


def test_sim_passes_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    import trade_tracker.sim as sim

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(sim, "serve_main", lambda **kw: calls.append(kw) or 0)
    args = [
        "sim",
        "--port",
        "0",
        "--fills",
        "50",
        "--products",
        "BTC-USD, ETH-EUR",
        "--seed",
        "7",
        "--rate-limits",
        "off",
        "--fail-rate",
        "0.1",
        "--latency-ms",
        "5",
    ]
    assert run(*args).exit_code == 0
    (kw,) = calls
    assert kw["products"] == ["BTC-USD", "ETH-EUR"] and kw["seed"] == 7 and kw["rate_limits"] is False
    assert (kw["fills"], kw["fail_rate"], kw["latency_ms"], kw["host"]) == (50, 0.1, 5.0, "127.0.0.1")


def test_sim_venue_advanced_passes_its_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import trade_tracker.sim.advanced.server as advanced

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(advanced, "serve_advanced_main", lambda **kw: calls.append(kw) or 0)
    args = ["sim", "--venue", "advanced", "--fills", "40", "--key-dir", str(tmp_path), "--page-cap", "90"]
    assert run(*args, "--reversal-sign", "negative", "--rate-limits", "off").exit_code == 0
    (kw,) = calls
    assert (kw["fills"], kw["key_dir"], kw["page_cap"], kw["reversal_sign"]) == (40, tmp_path, 90, "negative")
    assert kw["rate_limits"] is False and "auth_failure_status" not in kw and "key_file" not in kw
    assert_error(run("sim", "--venue", "advanced", "--key-file", str(tmp_path / "k")), ExitCode.USAGE, "--key-dir")


def test_sim_refuses_a_public_host() -> None:
    assert_error(run("sim", "--host", "0.0.0.0"), ExitCode.USAGE, "loopback")


# -- the local store: sync-fills, trades, summary, export ----------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_progress_bar_draws_only_on_a_terminal() -> None:
    from types import SimpleNamespace

    steps = [
        SimpleNamespace(product_id=p, pages=n, fills=100 * n, products_done=d, products_total=2)
        for p, n, d in [("BTC-USD", 1, 0), ("BTC-USD", 2, 1), ("ETH-USD", 1, 1), ("ETH-USD", 2, 2)]
    ]
    tty, pipe = _Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = SyncProgressBar(stream)
        for step in steps[:-1]:
            await bar(step)
        bar.close(completed=True)
    assert "ETH-USD: 100 fills" in tty.getvalue() and "2/2" in tty.getvalue()
    # What the terminal shows (the cursor hide/show escapes take no column) fits 80 columns.
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", tty.getvalue())
    assert max(len(line) for line in shown.replace("\r", "\n").splitlines()) < 80
    assert pipe.getvalue() == ""


async def test_progress_bar_labels_its_estimate() -> None:
    from types import SimpleNamespace

    now = [0.0]
    tty = _Tty()
    bar = SyncProgressBar(tty, clock=lambda: now[0])
    # 3 products; the first takes 60 s for 600 pages (10 req/s): about 2 min left for the other two.
    await bar(SimpleNamespace(product_id="BTC-USD", pages=1, fills=100, products_done=0, products_total=3))
    now[0] = 60.0
    await bar(SimpleNamespace(product_id="BTC-USD", pages=600, fills=60_000, products_done=1, products_total=3))
    # A sync that reports its own estimate (seconds_left) is taken at its word.
    now[0] = 70.0
    await bar(
        SimpleNamespace(
            product_id="ETH-USD",
            pages=100,
            fills=10_000,
            products_done=1,
            products_total=3,
            seconds_left=2 * 3600 + 10 * 60,
        )
    )
    bar.close()
    text = tty.getvalue()
    assert "BTC-USD: 100 fills" in text and "left" not in text.split("BTC-USD: 100 fills")[1].split("\r")[0]
    assert "BTC-USD: 60000 fills, about 2 min left at 10 req/s" in text
    assert "ETH-USD: 10000 fills, about 2 h 10 min left at 10 req/s" in text


async def test_progress_estimate_shrinks_as_the_sync_moves_on() -> None:
    """Time spent on the current product counts against the estimate: on the last product it falls to ~0."""
    from types import SimpleNamespace

    from trade_tracker.faces.cli.progress import estimate_text

    now = [0.0]
    bar = SyncProgressBar(_Tty(), clock=lambda: now[0])
    bar.enabled = True
    # 2 products of 1000 fills each, 100 s per product (1 page/s): the fills move toward the total.
    seen = []
    for second in range(0, 201, 20):
        now[0] = float(second)
        done = 1 if second >= 100 else 0
        fills = 1000 * done + 10 * (second - 100 * done)
        step = SimpleNamespace(
            product_id="ETH-USD" if done else "BTC-USD",
            pages=second - 100 * done,
            fills=fills,
            products_done=min(done, 1),
            products_total=2,
        )
        await bar(step)
        seen.append(bar.describe(step))
    bar.close()
    with_estimate = [s for s in seen if s and "left" in s]
    assert with_estimate[0].startswith("ETH-USD: 1000 fills, about 2 min left")  # 100 s at the 1st's end
    assert with_estimate[-1].startswith("ETH-USD: 2000 fills, about 5 s left")  # not "about 3 min" (200 s so far)
    lefts = [estimate_text(SimpleNamespace(products_done=1, products_total=2), t, t, 100.0) for t in (100, 150, 199)]
    assert lefts == ["about 2 min left at 1.0 req/s", "about 50 s left at 1.0 req/s", "about 5 s left at 1.0 req/s"]


def test_say_duration() -> None:
    from trade_tracker.faces.cli.progress import say_duration

    assert [say_duration(s) for s in (1, 42, 54, 55, 190, 3599, 3600, 5400)] == [
        "5 s",
        "40 s",
        "55 s",
        "1 min",
        "3 min",
        "1 h",
        "1 h",
        "1 h 30 min",
    ]


@pytest.fixture
def synced(env_credential: RunningSim) -> RunningSim:
    pytest.importorskip("trade_tracker.sync")
    result = run("sync-fills")
    data = out_json(result)
    assert_no_secret(result, env_credential)
    assert isinstance(data, dict)
    return env_credential


def test_sync_is_idempotent_and_fills_the_store(synced: RunningSim) -> None:
    again = out_json(run("sync-fills", "--product-id", "BTC-USD"))
    assert isinstance(again, dict)
    trades = out_json(run("trades", "--limit", "1000"))
    assert trades["count"] == synced.exchange.fill_count()


def test_sync_status_shows_the_cli_sync_and_what_is_stored(synced: RunningSim) -> None:
    data = out_json(run("sync-status"))
    (entry,) = data["labels"]
    assert entry["label"] == "env" and entry["state"] == "idle" and data["hint"] is None
    assert entry["last_run"]["outcome"] == "completed" and entry["last_run"]["finished_at"]
    assert entry["fills_stored"] == synced.exchange.fill_count() and entry["history_complete"] is True
    assert {p["product_id"] for p in entry["products"]} == set(synced.exchange.product_ids())
    nobody = out_json(run("sync-status", "--label", "nobody"))
    assert nobody["labels"][0]["fills_stored"] == 0
    assert nobody["hint"].startswith("nothing stored yet: run sync_fills")


def test_trades_filters_and_pages(synced: RunningSim) -> None:
    data = out_json(run("trades", "--product-id", "btc-usd", "--side", "buy", "--limit", "7"))
    cols = data["columns"]
    assert data["count"] == 7 and data["next_cursor"]
    # stable columns for scripts: product_id stays in every row even when all rows share one product
    assert cols == [
        "trade_id",
        "product_id",
        "side",
        "price",
        "size",
        "fee",
        "created_at",
        "liquidity",
        "settled",
        "order_id",
        "label",
        "venue",
    ]
    assert {r[cols.index("product_id")] for r in data["rows"]} == {"BTC-USD"} and data["product_id"] is None
    assert {r[cols.index("venue")] for r in data["rows"]} == {"exchange"} and data["venue"] is None
    assert {r[cols.index("label")] for r in data["rows"]} == {"env"} and data["label"] is None
    assert {r[cols.index("side")] for r in data["rows"]} == {"buy"}
    assert all(DECIMAL.match(r[cols.index("price")]) for r in data["rows"])
    nxt = out_json(
        run("trades", "--product-id", "BTC-USD", "--side", "buy", "--limit", "7", "--cursor", data["next_cursor"])
    )
    assert not {r[0] for r in nxt["rows"]} & {r[0] for r in data["rows"]}
    assert_error(run("trades", "--since", "2025-02-01", "--until", "2025-01-01"), ExitCode.USAGE)


def test_list_verbs_print_a_table_on_a_terminal_and_json_when_piped(
    synced: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    piped = out_json(run("trades", "--limit", "3"))
    monkeypatch.setattr(output, "_stdout_is_tty", lambda: True)
    table = run("trades", "--limit", "3")
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == "count: 3" and lines[1].startswith("next_cursor: ")
    header = lines[3].split()
    assert header == [
        "trade_id",
        "product_id",
        "side",
        "price",
        "size",
        "fee",
        "created_at",
        "liquidity",
        "settled",
        "label",
        "venue",
    ]
    cols = piped["columns"]
    for row, line in zip(piped["rows"], lines[5:], strict=True):  # the exact text of every cell
        assert line.split() == [
            str(row[cols.index(c)]) if c != "settled" else ("yes" if row[cols.index(c)] else "no") for c in header
        ]
    # --format json (on the group or the verb) and --pretty/--compact ask for JSON on a terminal.
    assert out_json(run("trades", "--limit", "3", "--format", "json")) == piped
    assert out_json(run("--format", "json", "trades", "--limit", "3")) == piped
    assert out_json(run("--compact", "trades", "--limit", "3")) == piped
    summary = run("summary", "--group-by", "month", "--product-id", "BTC-USD")
    assert "periods:" in summary.stdout and "cumulative_realized_pnl" in summary.stdout
    assert "products:" in summary.stdout and "currencies:" in summary.stdout
    assert "periods:" not in run("summary").stdout  # grouped by product: no period totals
    for verb in (
        ["products"],
        ["accounts"],
        ["orders", "--status", "all"],
        ["credentials", "list"],
        ["fills", "--product-id", "BTC-USD", "--limit", "2"],
    ):
        shown = run(*verb)
        assert shown.exit_code == 0 and "---" in shown.stdout and not shown.stdout.startswith(("{", "[")), verb
    # Not list-like: a terminal still gets JSON, unless --format table asks.
    assert run("ticker", "--product", "BTC-USD").stdout.startswith("{")
    assert run("--format", "table", "ticker", "--product", "BTC-USD").stdout.startswith("product_id: BTC-USD")
    monkeypatch.setattr(output, "_stdout_is_tty", lambda: False)
    assert run("trades", "--limit", "3", "--format", "table").stdout.startswith("count: 3\n")


def test_summary_json_carries_period_totals(synced: RunningSim) -> None:
    data = out_json(run("summary", "--group-by", "month"))
    assert data["periods"] and {"period", "currency", "cumulative_realized_pnl"} <= set(data["periods"][0])
    assert out_json(run("summary"))["periods"] == []


def test_summary(synced: RunningSim) -> None:
    pytest.importorskip("trade_tracker.analytics.summary")
    data = out_json(run("summary"))
    assert {p["product_id"] for p in data["products"]} >= {"BTC-USD", "ETH-USD"}
    by_month = out_json(run("summary", "--product-id", "BTC-USD", "--group-by", "month", "--method", "average"))
    assert isinstance(by_month, dict)
    live = run("summary", "--with-unrealized")
    assert live.exit_code == 0, live.stderr
    assert "unrealized" in live.stdout


def test_export(synced: RunningSim, tmp_path: Path) -> None:
    pytest.importorskip("trade_tracker.export")
    path = tmp_path / "fills.csv"
    data = out_json(run("export", "--csv", str(path), "--product-id", "ETH-USD"))
    assert data["kind"] == "fills" and data["rows"] > 0 and Path(data["path"]) == path.resolve()
    assert len(path.read_text().splitlines()) == data["rows"] + 1
    summary_path = tmp_path / "summary.csv"
    summary = out_json(
        run("export", "--csv", str(summary_path), "--summary", "--group-by", "month", "--with-unrealized")
    )
    assert summary["kind"] == "summary" and summary["rows"] > 0
    assert "unrealized_pnl_at_ticker" in summary_path.read_text().splitlines()[0]
    assert_error(run("export", "--csv", str(tmp_path / "no" / "such" / "dir.csv")), ExitCode.USAGE, "folder")
    assert_error(run("export", "--csv", str(path), "--method", "average"), ExitCode.USAGE, "--summary")


def test_cancelled_sync_prints_its_result_and_exits_130(
    env_credential: RunningSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = pytest.importorskip("trade_tracker.sync.engine")

    async def cancelled(store: Any, client: Any, label: str, *args: Any, **kwargs: Any) -> Any:
        return sync.SyncResult(label=label, products=[], cancelled=True)

    monkeypatch.setattr(sync, "sync_fills", cancelled)
    result = run("sync-fills")
    assert result.exit_code == ExitCode.INTERRUPTED
    assert json.loads(result.stdout)["cancelled"] is True
    assert result.stderr.startswith("interrupted")


def _wait_for_fills(db: Path, timeout: float = 30.0) -> None:
    import sqlite3
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                if conn.execute("SELECT count(*) FROM fills").fetchone()[0] > 0:
                    return
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    raise AssertionError("the sync stored nothing in time")


def test_ctrl_c_during_a_real_sync_keeps_what_was_synced(isolated_env: Path) -> None:
    """A real SIGINT to a real process: the sync stops after a page, prints its result, exits 130."""
    pytest.importorskip("trade_tracker.sync")
    import signal

    from trade_tracker.sim import SimExchange

    slow = SimExchange(fills=2000, seed=3, rate_limits=False, latency_ms=150)
    with running_sim(slow) as sim:
        env = {
            **os.environ,
            "EX_BASE_URL": sim.url,
            "EX_API_KEY_READ": sim.credential.key,
            "EX_API_SECRET_READ": sim.credential.secret,
            "EX_API_PASSPHRASE_READ": sim.credential.passphrase,
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "trade_tracker", "sync-fills"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait_for_fills(isolated_env / "trades.db")
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == ExitCode.INTERRUPTED, stderr
    data = json.loads(stdout)
    assert data["cancelled"] is True and data["inserted"] > 0
    assert "stopping after the current page" in stderr
    stored = out_json(run("trades", "--limit", "1000"))
    assert 0 < stored["count"] < slow.fill_count()
    assert out_json(run("sync-status"))["labels"][0]["last_run"]["outcome"] == "cancelled"


def test_wrong_vault_key_is_a_data_error(exchange_env: RunningSim, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", Fernet.generate_key().decode())
    assert add_credential("main", exchange_env).exit_code == 0
    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", Fernet.generate_key().decode())
    result = run("accounts")
    assert_error(result, ExitCode.DATA, "main")
    assert_no_secret(result, exchange_env)


def test_sync_where_every_product_fails_prints_the_result_and_exits_4(env_credential: RunningSim) -> None:
    pytest.importorskip("trade_tracker.sync")
    result = run("sync-fills", "--product-id", "NOPE-USD", "--product-id", "GONE-USD")
    assert result.exit_code == ExitCode.NETWORK, result.stderr
    data = json.loads(result.stdout)
    assert data["failed"] is True and all(p["error"] for p in data["products"])
    assert result.stderr.startswith("error: every product failed")
    partial = run("sync-fills", "--product-id", "NOPE-USD", "--product-id", "BTC-USD")
    data = out_json(partial)  # a partial failure keeps its per-product error and exits 0
    assert data["failed"] is False and data["products"][0]["error"] and data["inserted"] > 0


def test_sync_stopped_by_an_error_still_prints_what_was_stored(env_credential: RunningSim) -> None:
    pytest.importorskip("trade_tracker.sync")
    env_credential.exchange.fail_next(503, 5, path="/fills")
    try:
        result = run("sync-fills", "--product-id", "BTC-USD")
    finally:
        env_credential.exchange.faults.clear()
    assert result.exit_code == ExitCode.NETWORK
    data = json.loads(result.stdout)
    assert data["products"][0]["product_id"] == "BTC-USD" and data["products"][0]["error"]
    assert result.stderr.startswith("error:") and len(result.stderr.strip().splitlines()) == 1
    # the printed result itself says it stopped, and why (the same message as on stderr)
    assert data["failed"] is True and data["stopped_by"] and data["stopped_by"] in result.stderr


def test_sync_stopped_at_discovery_says_so_in_its_result(env_credential: RunningSim) -> None:
    env_credential.exchange.fail_next(401, 1, path="/orders")
    try:
        result = run("sync-fills")
    finally:
        env_credential.exchange.faults.clear()
    assert result.exit_code == ExitCode.AUTH, result.stderr
    data = json.loads(result.stdout)
    assert data["products"] == [] and data["failed"] is True and data["requests"] >= 1
    assert data["stopped_by"] and data["stopped_by"] in result.stderr


def test_the_error_boundary_unwraps_an_exception_group_holding_our_error(capsys: pytest.CaptureFixture[str]) -> None:
    from trade_tracker.errors import StoreError
    from trade_tracker.faces.cli.output import report_error

    wrapped = BaseExceptionGroup("task group", [BaseExceptionGroup("inner", [StoreError("run chmod 600 x")])])
    code = report_error(wrapped)
    assert capsys.readouterr().err.strip() == "error: run chmod 600 x"
    assert code == exit_code_for(StoreError("x"))
    mixed = ExceptionGroup("two", [RuntimeError("boom"), StoreError("ours")])
    assert report_error(mixed) == exit_code_for(StoreError("x"))
    assert "error: ours" in capsys.readouterr().err


def test_trades_json_always_has_a_label_column(isolated_env: Path) -> None:
    """Both sides of one trade (two labels) read as two rows that say whose they are; columns never move."""
    from fill_rows import row
    from trade_tracker.store import TradeStore

    with TradeStore(isolated_env / "trades.db") as store:
        store.upsert_fills([row(7, label="alice")])
    one = out_json(run("--format", "json", "trades"))
    assert one["label"] is None and one["columns"][-2:] == ["label", "venue"]
    assert one["rows"][0][-2:] == ["alice", "exchange"]
    assert one["hint"] is None
    with TradeStore(isolated_env / "trades.db") as store:
        store.upsert_fills([row(7, label="bob", side="sell")])
    both = out_json(run("--format", "json", "trades"))
    assert both["columns"] == one["columns"]
    assert sorted(r[-2] for r in both["rows"]) == ["alice", "bob"]
    assert out_json(run("--format", "json", "trades", "--label", "nobody"))["hint"] == (
        "nothing stored yet: run sync_fills (no fills are stored for label 'nobody')"
    )


def test_sync_status_takes_format_after_the_verb_like_other_verbs(isolated_env: Path) -> None:
    data = out_json(run("sync-status", "--format", "json"))
    assert data["hint"].startswith("nothing stored yet")
    table = run("sync-status", "--format", "table")
    assert table.exit_code == 0 and not table.stdout.lstrip().startswith("{") and "nothing stored yet" in table.stdout
    assert_error(run("sync-status", "--label", "has space"), ExitCode.USAGE, "a label must be")
