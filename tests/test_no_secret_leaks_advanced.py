"""Issue 15: a canary CDP private key (EC and Ed25519, generated here) and a canary Exchange secret never
appear in any tool result, log (at DEBUG), error, the store or its -wal, or a CLI run's output.

The canary keys are registered with the in-process Advanced Trade simulator, imported with
``credentials add --venue advanced --key-file`` (a real CLI process, DEBUG logging), synced, and then every
MCP tool is called for the advanced labels over the in-memory client. The Exchange canary sits in the
environment (the ``env`` credential) all along, and is also offered, wrongly, as a CDP key.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from cdp_keys import ec_pem, ed_b64_64, ed_key, ed_seed, key_file, new_uuid
from sim_fixtures import cli_command
from trade_tracker.app import TradeTracker
from trade_tracker.config import load_settings
from trade_tracker.faces.mcp.server import build_server
from trade_tracker.sim.advanced import RunningAdvanced, SimKey
from trade_tracker.venues.ratelimit import RateLimits

ORG = "organizations/5e5e5e5e-aaaa-bbbb-cccc-000011112222/apiKeys/"
#: What a JWT (PyJWT sorts its header: base64url of '{"alg":') or its Authorization header looks like.
JWT_SHAPES = re.compile(r"eyJhbGci[A-Za-z0-9_-]+\.|Bearer\s+\S{20,}")


class Canaries:
    """The canary secrets and every form they could leak in."""

    def __init__(self) -> None:
        self.ec_pem, self.ec = ec_pem()
        self.ed = ed_key()
        self.ed_secret = ed_b64_64(self.ed)
        self.ec_name = ORG + new_uuid()
        self.ed_name = new_uuid()
        self.exchange_raw = os.urandom(64)
        self.exchange_secret = base64.b64encode(self.exchange_raw).decode()

    def forms(self) -> dict[str, str]:
        body = [line for line in self.ec_pem.splitlines() if line and not line.startswith("-----")]
        forms = {f"ec-pem-line-{i}": line[:40] for i, line in enumerate(body)}
        scalar = self.ec.private_numbers().private_value.to_bytes(32, "big")
        seed = ed_seed(self.ed)
        return {
            **forms,
            "ec-pem-escaped": self.ec_pem.replace("\n", "\\n")[40:100],
            "ec-scalar-hex": scalar.hex()[:32],
            "ed-secret": self.ed_secret[:32],
            "ed-secret-tail": self.ed_secret[-24:],
            "ed-seed-hex": seed.hex()[:32],
            "ed-seed-b64": base64.b64encode(seed).decode()[:32],
            "exchange-secret": self.exchange_secret[:24],
            "exchange-secret-tail": self.exchange_secret[-20:],
            "exchange-secret-hex": self.exchange_raw.hex()[:24],
        }

    def assert_absent(self, where: str, text: str) -> None:
        for form, needle in self.forms().items():
            assert needle not in text, f"{form} leaked into {where}"
        assert not JWT_SHAPES.search(text), f"a JWT leaked into {where}"


@pytest.fixture
def canaries() -> Canaries:
    return Canaries()


@pytest.fixture
def at_sim(sim_advanced_factory: Any, canaries: Canaries) -> RunningAdvanced:
    """The simulator, accepting both canary keys (View only)."""
    sim: RunningAdvanced = sim_advanced_factory(fills=300)
    sim.advanced.add_key(SimKey(canaries.ec_name, "ecdsa", canaries.ec))
    sim.advanced.add_key(SimKey(canaries.ed_name, "ed25519", canaries.ed))
    return sim


@pytest.fixture
def env(isolated_env: Path, at_sim: RunningAdvanced, canaries: Canaries) -> Iterator[dict[str, str]]:
    """A CLI child's environment: DEBUG logs, the Exchange canary as the env credential."""
    yield {
        **{k: v for k, v in os.environ.items() if not k.startswith(("EX_", "AT_", "FIELD_ENCRYPTION"))},
        "TRADE_TRACKER_HOME": str(isolated_env),
        "TRADE_TRACKER_LOG_LEVEL": "DEBUG",
        "TRADE_TRACKER_USE_KEYRING": "0",
        "AT_BASE_URL": at_sim.url,
        "EX_BASE_URL": "http://127.0.0.1:9",
        "EX_API_KEY_READ": "canarykey" + "0" * 23,
        "EX_API_SECRET_READ": canaries.exchange_secret,
        "EX_API_PASSPHRASE_READ": "canary-passphrase",
    }


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cli_command(), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def _add_both(tmp_path: Path, env: dict[str, str], canaries: Canaries) -> list[subprocess.CompletedProcess[str]]:
    """Both canary keys imported from key files (the portal's JSON), as the README says."""
    runs = []
    for label, field, name, secret in (
        ("at-ec", "name", canaries.ec_name, canaries.ec_pem),
        ("at-ed", "id", canaries.ed_name, canaries.ed_secret),
    ):
        path = tmp_path / f"{label}.json"
        path.write_text(key_file(field, name, secret))
        path.chmod(0o600)
        run = _cli(env, "credentials", "add", "--label", label, "--venue", "advanced", "--key-file", str(path))
        assert run.returncode == 0, run.stderr
        runs.append(run)
    return runs


def test_cli_runs_leak_no_canary(tmp_path: Path, env: dict[str, str], canaries: Canaries, isolated_env: Path) -> None:
    runs = _add_both(tmp_path, env, canaries)
    for label in ("at-ec", "at-ed"):
        runs.append(_cli(env, "sync-fills", "--label", label))
        assert runs[-1].returncode == 0, runs[-1].stderr
        assert json.loads(runs[-1].stdout)["inserted"] > 0
    runs += [_cli(env, "trades", "--label", "at-ec"), _cli(env, "summary"), _cli(env, "credentials", "list")]
    runs.append(_cli(env, "fills", "--label", "at-ed", "--limit", "3"))
    # an Exchange secret offered as a CDP key: refused, and never echoed
    wrong = _cli(
        env,
        "credentials",
        "add",
        "--label",
        "wrong",
        "--venue",
        "advanced",
        stdin=f"{ORG}x\n{canaries.exchange_secret}\n",
    )
    assert wrong.returncode != 0
    runs.append(wrong)
    assert "DEBUG" in "".join(r.stderr for r in runs), "the runs did not log at DEBUG"
    for i, run in enumerate(runs):
        assert run.returncode == 0 or run is wrong, (run.args, run.stderr)
        canaries.assert_absent(f"stdout of {run.args[1:4]} ({i})", run.stdout)
        canaries.assert_absent(f"stderr of {run.args[1:4]} ({i})", run.stderr)
    _assert_store_clean(isolated_env, canaries)


def _assert_store_clean(home: Path, canaries: Canaries) -> None:
    """The store and its -wal (and every other file in the home) hold no canary, in any form."""
    for path in sorted(home.rglob("*")):
        if path.is_file():
            canaries.assert_absent(str(path.relative_to(home)), path.read_bytes().decode("latin-1"))


async def test_every_tool_for_advanced_labels_leaks_no_canary(
    tmp_path: Path,
    env: dict[str, str],
    canaries: Canaries,
    isolated_env: Path,
    at_sim: RunningAdvanced,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _add_both(tmp_path, env, canaries)
    for name in ("EX_API_KEY_READ", "EX_API_SECRET_READ", "EX_API_PASSPHRASE_READ", "EX_BASE_URL", "AT_BASE_URL"):
        monkeypatch.setenv(name, env[name])
    caplog.set_level(logging.DEBUG)
    settings = load_settings(trade_tracker_home=isolated_env, use_keyring=False)
    server = build_server(
        settings, tracker_factory=lambda: TradeTracker.open(settings, rate_limits=RateLimits.disabled())
    )
    texts: list[tuple[str, str]] = []
    async with Client(server) as c:
        for label in ("at-ec", "at-ed"):
            for tool, args in _tool_calls(label):
                result = await c.call_tool(tool, args)
                text = "".join(getattr(part, "text", "") for part in result.content)
                texts.append((f"{tool} {args}", text + json.dumps(result.structured_content)))
                assert not result.is_error or tool == "cancel_sync", (tool, text)
        bad = await c.call_tool("list_fills", {"label": "at-ec", "after": "not-a-cursor"})  # an error path too
        assert bad.is_error
        texts.append(("list_fills with a bad cursor", "".join(getattr(p, "text", "") for p in bad.content)))
    out, err = capsys.readouterr()
    for where, text in [*texts, ("caplog", caplog.text), ("stdout", out), ("stderr", err)]:
        canaries.assert_absent(where, text)
    assert any(r.levelno == logging.DEBUG for r in caplog.records), "nothing was logged at DEBUG"
    _assert_store_clean(isolated_env, canaries)


def _tool_calls(label: str) -> list[tuple[str, dict[str, Any]]]:
    """Every tool, for an Advanced Trade label (the public ones for its venue)."""
    return [
        ("list_products", {"venue": "advanced"}),
        ("get_ticker", {"product_id": "BTC-USD", "venue": "advanced"}),
        ("list_accounts", {"label": label}),
        ("list_orders", {"label": label, "status": ["done"]}),
        ("list_fills", {"label": label, "limit": 5}),
        ("sync_fills", {"label": label, "wait_seconds": 30}),
        ("sync_status", {"label": label}),
        ("cancel_sync", {"label": label}),
        ("query_trades", {"label": label, "limit": 5}),
        ("trade_summary", {"label": label, "with_unrealized": True}),
        ("export_trades", {"label": label}),
        ("export_trades", {"label": label, "summary": True}),
        ("list_credentials", {}),
        ("store_credential", {"label": f"{label}-2", "venue": "advanced"}),
    ]
