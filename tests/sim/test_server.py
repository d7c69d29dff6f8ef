"""``python -m trade_tracker.sim``: ready line, serving, flags, credentials from env, clean stop."""

from __future__ import annotations

import base64
import io
import signal
import socket
import subprocess
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sim_fixtures import SignedHttp, sim_env
from trade_tracker.sim import SimCredential, serve_main
from trade_tracker.sim.__main__ import parse_args
from trade_tracker.sim.core.server import is_loopback_host

Spawn = Callable[..., tuple[subprocess.Popen[str], dict[str, Any]]]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ready_line_serving_and_clean_exit(sim_process: Spawn, sig: signal.Signals) -> None:
    proc, ready = sim_process("--fills", "200", "--seed", "9")
    assert set(ready) == {"url", "key", "secret", "passphrase"}
    assert ready["url"].startswith("http://127.0.0.1:") and not ready["url"].endswith(":0")
    assert len(base64.b64decode(ready["secret"])) == 64
    http = SignedHttp(ready["url"], SimCredential(ready["key"], ready["secret"], ready["passphrase"]))
    try:
        assert http.get("/accounts").status_code == 200
        state = http.client.get("/_admin/state").json()
        assert sum(p["fills"] for p in state["products"].values()) == 200 and state["seed"] == 9
    finally:
        http.close()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert out == ""  # nothing after the ready line on stdout
    assert "Traceback" not in err


def test_flags(sim_process: Spawn) -> None:
    proc, ready = sim_process(
        "--fills",
        "100",
        "--products",
        "eth-usd,DOGE-USD",
        "--rate-limits",
        "off",
        "--fail-rate",
        "0",
        "--latency-ms",
        "0",
        "--auth-failure-status",
        "400",
        "--clock-offset",
        "60",
    )
    with httpx.Client(base_url=ready["url"]) as client:
        ids = [p["id"] for p in client.get("/products").json()]
        assert ids == ["ETH-USD", "DOGE-USD", "MATIC-USD"]
        settings = client.get("/_admin/state").json()["settings"]
        assert (settings["rate_limits"], settings["auth_failure_status"], settings["clock_offset"]) == (False, 400, 60)
    proc.terminate()
    assert proc.wait(15) == 0


def test_credential_from_environment(sim_process: Spawn) -> None:
    secret = base64.b64encode(bytes(range(64))).decode()
    env = sim_env(SIM_KEY="fixed-key", SIM_SECRET=secret, SIM_PASSPHRASE="fixed-pass")
    proc, ready = sim_process("--fills", "50", env=env)
    assert (ready["key"], ready["secret"], ready["passphrase"]) == ("fixed-key", secret, "fixed-pass")
    http = SignedHttp(ready["url"], SimCredential("fixed-key", secret, "fixed-pass"))
    try:
        assert http.get("/profiles").status_code == 200
    finally:
        http.close()


def test_fixed_port(sim_process: Spawn) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _, ready = sim_process("--fills", "10", "--port", str(port))
    assert ready["url"] == f"http://127.0.0.1:{port}"


def test_non_loopback_host_is_refused() -> None:
    result = subprocess.run(
        [__import__("sys").executable, "-m", "trade_tracker.sim", "--host", "0.0.0.0", "--fills", "10"],
        capture_output=True,
        text=True,
        env=sim_env(),
        timeout=30,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "refusing to listen on '0.0.0.0'" in result.stderr
    with pytest.raises(ValueError, match="loopback"):
        serve_main(host="192.0.2.1", fills=1, out=io.StringIO())


def test_loopback_hosts() -> None:
    assert all(map(is_loopback_host, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback_host, ["0.0.0.0", "192.168.1.1", "example.com", "::"]))


def test_argument_parsing() -> None:
    args = parse_args(["--products", "A-USD, B-USD", "--rate-limits", "off", "--seed", "abc"])
    assert (args.products, args.rate_limits, args.seed, args.port, args.fills) == (
        ["A-USD", "B-USD"],
        False,
        "abc",
        None,
        10_000,
    )  # no --port: a free one, or the --key-file's kept port
    with pytest.raises(SystemExit):
        parse_args(["--rate-limits", "maybe"])


def test_a_taken_port_is_a_network_error_with_the_cli_s_exit_code() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [__import__("sys").executable, "-m", "trade_tracker.sim", "--port", str(port), "--fills", "10"],
            capture_output=True,
            text=True,
            env=sim_env(),
            timeout=30,
        )
    assert result.returncode == 4 and result.stdout == ""
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
