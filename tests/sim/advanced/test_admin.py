"""``/_admin`` of the Advanced Trade simulator: fills, adjustments, config, permissions, history, keys, and
loopback only."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from sim_fixtures import AdvancedHttp
from trade_tracker.sim.advanced import SimAdvanced, build_app

FILLS = "orders/historical/fills"


def test_new_fills_and_adjustments_are_served_first(advanced_http: AdvancedHttp) -> None:
    before = advanced_http.admin("GET", "history")
    added = advanced_http.admin("POST", "fills", {"count": 5})
    assert added["count"] == 5
    target = next(f for f in before if f["trade_type"] == "FILL")
    posted = advanced_http.admin("POST", "adjustments", {"kind": "REVERSAL", "entry_ids": [target["entry_id"]]})
    (reversal,) = posted["fills"]
    assert (reversal["trade_id"], reversal["trade_type"]) == (target["trade_id"], "REVERSAL")
    random_ones = advanced_http.admin("POST", "adjustments", {"kind": "correction", "count": 2})["fills"]
    page = advanced_http.get(FILLS, params={"limit": "8"}).json()["fills"]
    assert page == random_ones[::-1] + [reversal] + added["fills"][::-1]
    assert advanced_http.admin("GET", "history") == page + before


def test_bad_admin_requests_say_what_is_wrong(advanced_http: AdvancedHttp) -> None:
    bad = advanced_http.client.post("/_admin/adjustments", json={"kind": "SYNTHETIC"})
    assert bad.status_code == 400 and "REVERSAL" in bad.json()["message"]
    missing = advanced_http.client.post("/_admin/adjustments", json={"entry_ids": ["0" * 64]})
    assert missing.status_code == 404
    config = advanced_http.client.post("/_admin/config", json={"fills": 3})
    assert config.status_code == 400 and "page_cap" in config.json()["message"]
    perms = advanced_http.client.post("/_admin/permissions", json={"can_view": "yes"})
    assert perms.status_code == 400


def test_config_changes_the_page_cap_clock_and_sign(advanced_http: AdvancedHttp) -> None:
    settings = advanced_http.admin("POST", "config", {"page_cap": 30, "clock_offset": 0, "reversal_sign": "negative"})
    assert settings["page_cap"] == 30 and settings["reversal_sign"] == "negative"
    assert len(advanced_http.get(FILLS, params={"limit": "250"}).json()["fills"]) == 30
    reversals = [f for f in advanced_http.admin("GET", "history") if f["trade_type"] == "REVERSAL"]
    assert reversals and all(f["size"].startswith("-") for f in reversals)


def test_permissions_and_keys(advanced_http: AdvancedHttp) -> None:
    changed = advanced_http.admin("POST", "permissions", {"can_trade": True, "can_transfer": True})
    assert len(changed) == 2 and all(p["can_trade"] and p["can_transfer"] for p in changed.values())
    assert advanced_http.get("key_permissions").json()["can_transfer"] is True
    keys = advanced_http.admin("GET", "keys")
    assert {k["type"]: k["algorithm"] for k in keys} == {"ecdsa": "ES256", "ed25519": "EdDSA"}
    assert all(k["key_file"].endswith(".json") for k in keys)
    assert "PRIVATE" not in str(keys)


def test_state_counts_entries_by_type(advanced_http: AdvancedHttp) -> None:
    state = advanced_http.admin("GET", "state")
    assert state["entries"] == 606 and state["by_trade_type"] == {"FILL": 600, "REVERSAL": 3, "CORRECTION": 3}


def test_admin_answers_loopback_clients_only() -> None:
    client: Any = TestClient(build_app(SimAdvanced(fills=20)), client=("203.0.113.9", 5000))
    response = client.get("/_admin/history")
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["history", "keys", "state"])
def test_admin_reads_need_no_token(advanced_http: AdvancedHttp, name: str) -> None:
    assert advanced_http.client.get(f"/_admin/{name}").status_code == 200
