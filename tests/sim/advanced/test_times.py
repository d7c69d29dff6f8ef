"""RFC 3339 instants with any fractional digits, as integer nanoseconds, and back with 0, 6 or 9 digits."""

from __future__ import annotations

import pytest

from trade_tracker.sim.advanced import iso_ns, parse_rfc3339_ns

NS = 1_674_005_858_091_377_090  # 2023-01-18T01:37:38.091377090Z


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-01-18T01:37:38.091377090Z", NS),
        ("2023-01-18T01:37:38.091377Z", NS - 90),
        ("2023-01-18T01:37:38.091377090123Z", NS),  # beyond 9 digits: cut
        ("2023-01-18T01:37:38.1Z", NS - 91_377_090 + 100_000_000),
        ("2023-01-18T01:37:38Z", NS - 91_377_090),
        ("2023-01-18T02:37:38.091377090+01:00", NS),
        ("2023-01-18t01:37:38.091377090z", NS),
    ],
)
def test_parse(text: str, expected: int) -> None:
    assert parse_rfc3339_ns(text) == expected


@pytest.mark.parametrize("text", ["2023-01-18", "1674005858", "2023-01-18T01:37:38", "2023-01-18T01:37:38.Z", ""])
def test_refused(text: str) -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_rfc3339_ns(text)


def test_render() -> None:
    assert iso_ns(NS) == "2023-01-18T01:37:38.091377090Z"
    assert iso_ns(NS, 6) == "2023-01-18T01:37:38.091377Z"
    assert iso_ns(NS, 0) == "2023-01-18T01:37:38Z"
    assert parse_rfc3339_ns(iso_ns(NS)) == NS
