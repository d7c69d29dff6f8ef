"""Pytest plugin: the local Coinbase Exchange simulator, and an independent request signer.

Registered from conftest.py (``pytest_plugins = ["sim_fixtures"]``). Fixtures:

- ``sim``: a running simulator (600 fills, seed 42, rate limits off), a
  :class:`trade_tracker.sim.RunningSim` with ``.url``, ``.credential``, ``.exchange``;
- ``sim_factory``: ``sim_factory(**SimConfig fields)`` starts more, all stopped at teardown;
- ``sim_api_credential``: the ``sim`` fixture's key as the project's ``ApiCredential``;
- ``sim_http``: a :class:`SignedHttp` for raw signed requests to ``sim``;
- ``sim_process``: ``sim_process(*args)`` spawns ``python -m trade_tracker.sim`` and returns
  (process, ready-line dict); every process is terminated at teardown.

Advanced Trade: ``sim_advanced`` (a running :class:`trade_tracker.sim.advanced.RunningAdvanced`, 600
fills, seed 42, rate limits off, key files in a tmp folder), ``sim_advanced_factory`` and
``advanced_http`` (an :class:`AdvancedHttp` signing each request with ``advanced_jwt``).
``advanced_jwt`` is a tiny independent signer written from the API docs with PyJWT directly, on purpose
not the product's ``coinbase_advanced.auth``.

Helpers: ``history_rows(exchange, label)`` / ``advanced_history_rows(running, label)`` (a simulator's whole
history as ``fills`` rows, built from its JSON independently of the adapter's row mapping),
``advanced_client(running)`` (the product's client on a simulator's key), ``cli_command()`` (how to run
the installed CLI) and ``server_env_for(sim, home)`` (the
environment of a ``trade-tracker serve`` child process, with the sim's key stored as ``cli``).

``independent_sign`` follows the API docs' recipe with hmac/hashlib/base64 directly, on
purpose not the project's ``sign()``, so a shared mistake cannot hide in both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from trade_tracker.sim import RunningSim, SimCredential, SimExchange, running_sim
from trade_tracker.sim.advanced import RunningAdvanced, SimKey, running_advanced
from trade_tracker.venues.coinbase_exchange.auth import ApiCredential

__all__ = [
    "AdvancedHttp",
    "SignedHttp",
    "advanced_client",
    "advanced_history_rows",
    "advanced_jwt",
    "history_rows",
    "independent_sign",
]

SERVER_DIR = Path(__file__).resolve().parents[1] / "server"


def independent_sign(secret_b64: str, timestamp: str, method: str, target: str, body: bytes = b"") -> str:
    """The docs' recipe: base64(HMAC-SHA256(b64decode(secret), ts + METHOD + path?query + body))."""
    message = timestamp.encode() + method.upper().encode() + target.encode() + body
    return base64.b64encode(hmac.new(base64.b64decode(secret_b64), message, hashlib.sha256).digest()).decode()


class SignedHttp:
    """A sync httpx client that sends exactly the target and body it signs (no re-encoding)."""

    def __init__(self, base_url: str, credential: SimCredential) -> None:
        self.base_url = base_url
        self.credential = credential
        self.client = httpx.Client(base_url=base_url, timeout=10)

    def headers(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        *,
        timestamp: str | None = None,
        credential: SimCredential | None = None,
        sign_target: str | None = None,
        sign_body: bytes | None = None,
    ) -> dict[str, str]:
        """CB-ACCESS-* headers; ``sign_target`` / ``sign_body`` sign something other than what is sent."""
        cred = credential or self.credential
        ts = timestamp if timestamp is not None else str(time.time())
        signature = independent_sign(
            cred.secret,
            ts,
            method,
            target if sign_target is None else sign_target,
            body if sign_body is None else sign_body,
        )
        return {
            "CB-ACCESS-KEY": cred.key,
            "CB-ACCESS-SIGN": signature,
            "CB-ACCESS-TIMESTAMP": ts,
            "CB-ACCESS-PASSPHRASE": cred.passphrase,
        }

    def send(
        self, method: str, target: str, body: bytes = b"", *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """Send ``target`` (path and raw query) byte for byte, with the given headers."""
        request = self.client.build_request(method, self.base_url + target, content=body or None, headers=headers or {})
        # httpx would normalise the query; put the raw target back so what is signed is what is sent.
        request.url = request.url.copy_with(raw_path=target.encode())
        return self.client.send(request)

    def get(self, target: str, **sign: Any) -> httpx.Response:
        """A signed GET of ``target``."""
        return self.send("GET", target, headers=self.headers("GET", target, **sign))

    def post(self, target: str, body: bytes, **sign: Any) -> httpx.Response:
        return self.send("POST", target, body, headers=self.headers("POST", target, body, **sign))

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., RunningSim]]:
    """Start simulators with ``SimConfig`` keywords; all are stopped at teardown."""
    started: list[RunningSim] = []

    def start(**config: Any) -> RunningSim:
        config.setdefault("fills", 600)
        config.setdefault("rate_limits", False)
        handle = running_sim(**config).start()
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


@pytest.fixture
def sim(sim_factory: Callable[..., RunningSim]) -> RunningSim:
    """A running simulator: 600 fills over BTC/ETH/SOL-USD plus delisted MATIC-USD, seed 42."""
    return sim_factory()


@pytest.fixture
def sim_api_credential(sim: RunningSim) -> ApiCredential:
    """The ``sim`` key as the project client's credential."""
    c = sim.credential
    return ApiCredential(c.key, c.secret, c.passphrase, label="sim")


@pytest.fixture
def sim_http(sim: RunningSim) -> Iterator[SignedHttp]:
    """Raw signed HTTP to the ``sim`` fixture."""
    http = SignedHttp(sim.url, sim.credential)
    yield http
    http.close()


def history_rows(exchange: SimExchange, label: str) -> list[tuple[Any, ...]]:
    """The simulator's whole history as ``fills`` rows (``FILL_COLUMNS`` order) of ``label``, sorted by
    (product_id, trade_id): what a complete sync must have stored."""
    rows = [
        (
            f["product_id"],
            f["trade_id"],
            f["order_id"],
            f["side"],
            f["price"],
            f["size"],
            f["fee"],
            f.get("usd_volume"),
            f.get("liquidity"),
            int(f["settled"]),
            f["created_at"],
            f.get("profile_id"),
            f.get("user_id"),
            f.get("funding_currency"),
            f.get("market_type"),
            label,
            "exchange",
            f"{f['product_id']}:{f['trade_id']}",
            *(None,) * 8,  # the Advanced Trade fields
        )
        for f in exchange.history()
    ]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def sim_env(**extra: str) -> dict[str, str]:
    """The environment for a simulator child process (the package importable from server/)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIM_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SERVER_DIR), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def cli_command() -> list[str]:
    """The installed ``trade-tracker`` beside this interpreter, else ``python -m trade_tracker``."""
    import shutil

    exe = shutil.which("trade-tracker", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "trade_tracker"]


def server_env_for(sim: RunningSim, home: Path, label: str = "cli") -> dict[str, str]:
    """The environment of a CLI/serve child process on ``home`` talking to ``sim``, with the sim's key
    stored under ``label`` by a real ``credentials add`` (no credential in the environment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EX_", "FIELD_ENCRYPTION"))}
    env.update(EX_BASE_URL=sim.url, TRADE_TRACKER_HOME=str(home))
    c = sim.credential
    added = subprocess.run(
        [*cli_command(), "credentials", "add", "--label", label],
        env=env,
        text=True,
        input=f"{c.key}\n{c.secret}\n{c.passphrase}\n",
        capture_output=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    assert c.secret not in added.stdout + added.stderr and c.passphrase not in added.stdout + added.stderr
    return env


@pytest.fixture
def sim_process() -> Iterator[Callable[..., tuple[subprocess.Popen[str], dict[str, Any]]]]:
    """Spawn ``python -m trade_tracker.sim ARGS``; returns (process, parsed ready line)."""
    procs: list[subprocess.Popen[str]] = []

    def spawn(
        *args: str, env: dict[str, str] | None = None, timeout: float = 30
    ) -> tuple[subprocess.Popen[str], dict[str, Any]]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "trade_tracker.sim", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env or sim_env(),
        )
        procs.append(proc)
        line: list[str] = []
        reader = threading.Thread(
            target=lambda: line.append(proc.stdout.readline() if proc.stdout else ""), daemon=True
        )
        reader.start()
        reader.join(timeout)
        if not line or not line[0]:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise AssertionError(f"simulator did not print its ready line; stderr: {err[-2000:]}")
        return proc, json.loads(line[0])

    yield spawn
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


# ---- Advanced Trade ---------------------------------------------------------------------------


def advanced_jwt(
    key: SimKey,
    method: str,
    host: str,
    path: str,
    *,
    now: float | None = None,
    claims: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
    algorithm: str | None = None,
    signing_key: Any = None,
) -> str:
    """A CDP JWT per the docs: kid/nonce/typ header; sub, iss "cdp", nbf, exp = nbf + 120 and uri
    "METHOD host/path" (no query). ``claims`` / ``headers`` override or add (a value None removes)."""
    issued = int(time.time() if now is None else now)
    body: dict[str, Any] = {
        "sub": key.name,
        "iss": "cdp",
        "nbf": issued,
        "exp": issued + 120,
        "uri": f"{method.upper()} {host}{path.split('?', 1)[0]}",
    }
    head: dict[str, Any] = {"kid": key.name, "nonce": os.urandom(16).hex(), "typ": "JWT"}
    for target, changes in ((body, claims), (head, headers)):
        for name, value in (changes or {}).items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
    return jwt.encode(body, signing_key or key.private_key, algorithm=algorithm or key.algorithm, headers=head)


class AdvancedHttp:
    """A sync httpx client to an Advanced Trade simulator that signs each request with ``advanced_jwt``."""

    def __init__(self, running: RunningAdvanced, key: SimKey | None = None) -> None:
        self.running = running
        self.key = key or running.ecdsa
        self.client = httpx.Client(base_url=running.url, timeout=10)

    def get(self, path: str, params: Any = None, *, key: SimKey | None = None, **jwt_options: Any) -> httpx.Response:
        """GET ``path`` (under /api/v3/brokerage unless it starts with /) with a fresh bearer token."""
        full = path if path.startswith("/") else f"/api/v3/brokerage/{path}"
        token = advanced_jwt(key or self.key, "GET", self.running.host_port, full, **jwt_options)
        return self.client.get(full, params=params, headers={"Authorization": f"Bearer {token}"})

    def public(self, path: str, params: Any = None) -> httpx.Response:
        return self.client.get(f"/api/v3/brokerage/{path}", params=params)

    def admin(self, method: str, name: str, body: Any = None) -> Any:
        response = self.client.request(method, f"/_admin/{name}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def sim_advanced_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RunningAdvanced]]:
    """Start Advanced Trade simulators with ``AdvancedConfig`` keywords; all are stopped at teardown."""
    started: list[RunningAdvanced] = []

    def start(**config: Any) -> RunningAdvanced:
        config.setdefault("fills", 600)
        config.setdefault("rate_limits", False)
        if "key_dir" not in config:
            folder = tmp_path_factory.mktemp("advanced-keys")
            folder.chmod(0o700)
            config["key_dir"] = str(folder)
        handle = running_advanced(**config)
        handle.start()
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


@pytest.fixture
def sim_advanced(sim_advanced_factory: Callable[..., RunningAdvanced]) -> RunningAdvanced:
    """A running Advanced Trade simulator: 600 fills over BTC/ETH/SOL-USD (SOL closed) + BTC-USDC, seed 42."""
    return sim_advanced_factory()


@pytest.fixture
def advanced_http(sim_advanced: RunningAdvanced) -> Iterator[AdvancedHttp]:
    """Signed HTTP to the ``sim_advanced`` fixture (its ECDSA key)."""
    http = AdvancedHttp(sim_advanced)
    yield http
    http.close()


_LIQUIDITY = {"MAKER": "M", "TAKER": "T"}


def _fixed_width_utc(text: str) -> str:
    """An RFC 3339 ``...Z`` timestamp with any fractional digits as the store's ``created_at``: microseconds,
    extra digits cut (the simulator only sends ``Z`` times)."""
    head, _, fraction = text.removesuffix("Z").partition(".")
    return f"{head}.{fraction[:6].ljust(6, '0')}Z"


def advanced_history_rows(running: RunningAdvanced, label: str) -> list[tuple[Any, ...]]:
    """The Advanced Trade simulator's whole history (adjustments included) as ``fills`` rows of ``label`` in
    ``FILL_COLUMNS`` order, sorted by ``fill_key`` (= entry_id): SPEC-15's mapping, written out here."""
    rows = [
        (
            f["product_id"],
            f["trade_id"],
            f["order_id"],
            f["side"].lower(),
            f["price"],
            f["size"],
            f["commission"],
            None,
            _LIQUIDITY.get(f["liquidity_indicator"]),
            1,
            _fixed_width_utc(f["trade_time"]),
            f["retail_portfolio_id"],
            f["user_id"],
            None,
            None,
            label,
            "advanced",
            f["entry_id"],
            f["entry_id"],
            f["trade_type"],
            f["sequence_timestamp"],
            f["trade_time"],
            int(f["size_in_quote"]),
            f["commission"],
            f["liquidity_indicator"],
            f["retail_portfolio_id"],
        )
        for f in running.advanced.history()
    ]
    return sorted(rows, key=lambda r: r[17])


def advanced_client(running: RunningAdvanced, label: str = "sim", key_type: str = "ecdsa", **options: Any) -> Any:
    """The product's ``AdvancedTradeClient`` on ``running``'s key of ``key_type``, rate limits off."""
    from trade_tracker.venues.coinbase_advanced.client import AdvancedTradeClient
    from trade_tracker.venues.coinbase_advanced.keys import parse_cdp_key
    from trade_tracker.venues.ratelimit import RateLimits

    key = running.advanced.key_of_type(key_type)
    options.setdefault("rate_limits", RateLimits.disabled())
    return AdvancedTradeClient(running.url, parse_cdp_key(key.name, key.secret_text(), label=label), **options)
