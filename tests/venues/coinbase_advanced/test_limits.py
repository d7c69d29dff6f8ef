"""Advanced Trade's limits as data, and the x-ratelimit-reset readings."""

from __future__ import annotations

import httpx
import pytest

from trade_tracker.venues.coinbase_advanced.limits import ADVANCED_LIMITS, HeaderGate, advanced_bucket, reset_at

NOW = 1_709_005_034.0


def test_documented_limits() -> None:
    assert ADVANCED_LIMITS["private"].rate == 30 and ADVANCED_LIMITS["public"].rate == 10
    assert advanced_bucket("/time") == advanced_bucket("/market/products") == "public"
    assert advanced_bucket("/orders/historical/fills") == advanced_bucket("/products") == "private"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", NOW + 3),
        ("0.5", NOW + 0.5),
        (str(int(NOW) + 7), int(NOW) + 7),
        (str(int(NOW * 1000) + 2000), NOW + 2),
        ("2024-02-27T03:37:16Z", NOW + 2),
        (None, None),
        ("", None),
        ("soon", None),
        ("-1", None),
        ("nan", None),
    ],
)
def test_reset_at(value: str | None, expected: float | None) -> None:
    got = reset_at(value, NOW)
    assert got == (pytest.approx(expected) if expected is not None else None)


async def test_gate_caps_an_absurd_reset_and_ignores_headers_with_requests_left() -> None:
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    gate = HeaderGate(lambda: NOW, sleep, max_wait=10)
    gate.note("private", httpx.Response(200, headers={"x-ratelimit-remaining": "5", "x-ratelimit-reset": "30"}))
    assert gate.pending("private") == 0
    gate.note("private", httpx.Response(429, headers={"x-ratelimit-reset": "3600"}))
    assert gate.pending("private") == 10 and gate.pending("public") == 0
    await gate.wait("private")
    assert slept == [10] and gate.pending("private") == 0
