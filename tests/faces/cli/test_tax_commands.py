"""``tax-report`` over the simulator's demo history: its 8949 CSV equals an independent FIFO computation
(Fractions, straight from the simulator's own fills), row for row, to the last digit."""

from __future__ import annotations

import csv
import json
from collections import defaultdict, deque
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from trade_tracker.export_tax import TAX_CSV_COLUMNS
from trade_tracker.faces.cli import main
from trade_tracker.sim import RunningSim, running_sim


@pytest.fixture(scope="module")
def demo_sim() -> Iterator[RunningSim]:
    """The demo's history (``trade-tracker demo``: 3000 fills, seed 7)."""
    with running_sim(fills=3000, seed="7", rate_limits=False) as sim:
        yield sim


@pytest.fixture
def synced(demo_sim: RunningSim, monkeypatch: pytest.MonkeyPatch) -> RunningSim:
    monkeypatch.setenv("EX_BASE_URL", demo_sim.url)
    monkeypatch.setenv("EX_RETRY_ATTEMPTS", "1")
    cred = demo_sim.credential
    monkeypatch.setenv("EX_API_KEY_READ", cred.key)
    monkeypatch.setenv("EX_API_SECRET_READ", cred.secret)
    monkeypatch.setenv("EX_API_PASSPHRASE_READ", cred.passphrase)
    assert run("sync-fills").exit_code == 0
    return demo_sim


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _cents(value: Fraction) -> str:
    exact = Decimal(value.numerator) / Decimal(value.denominator)  # 28 digits: far beyond a cent
    return format(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def _anniversary_passed(acquired: str, sold: str) -> bool:
    y, m, d = int(acquired[:4]), int(acquired[5:7]), int(acquired[8:10])
    if (m, d) == (2, 29):
        d = 28
    return sold[:10] > f"{y + 1:04d}-{m:02d}-{d:02d}"


def independent_8949(sim: RunningSim, year: int) -> list[list[str]]:
    """FIFO per asset over the simulator's own fills, in exact Fractions; money rounded to cents at the end."""
    fills = [h.fill(i) for h in sim.exchange.histories for i in range(len(h))]
    fills.sort(key=lambda f: (f["created_at"], f["product_id"], str(f["trade_id"])))
    lots: dict[str, deque[list]] = defaultdict(deque)
    rows: list[tuple[str, list[str]]] = []
    for f in fills:
        asset = f["product_id"].split("-")[0]
        price, size, fee = Fraction(f["price"]), Fraction(f["size"]), Fraction(f["fee"])
        if f["side"] == "buy":
            lots[asset].append([size, price * size + fee, f["created_at"]])
            continue
        proceeds, left = price * size - fee, size
        while left:
            lot = lots[asset][0]  # the simulator never sells more than it holds
            take = min(left, lot[0])
            cost = lot[1] * take / lot[0]
            lot[0] -= take
            lot[1] -= cost
            if not lot[0]:
                lots[asset].popleft()
            left -= take
            if f["created_at"].startswith(str(year)):
                got, paid = _cents(proceeds * take / size), _cents(cost)
                a, s = lot[2], f["created_at"]
                rows.append(
                    (
                        s,
                        [
                            f"{format(Decimal(take.numerator) / take.denominator, 'f')} {asset}",
                            f"{a[5:7]}/{a[8:10]}/{a[:4]}",
                            f"{s[5:7]}/{s[8:10]}/{s[:4]}",
                            got,
                            paid,
                            "",
                            "",
                            format(Decimal(got) - Decimal(paid), "f"),
                            "long" if _anniversary_passed(a, s) else "short",
                        ],
                    )
                )
    return [row for _, row in rows]


def _normal_quantity(row: list[str]) -> list[str]:
    qty, asset = row[0].split(" ")
    return [f"{Decimal(qty).normalize():f} {asset}", *row[1:]]


def test_the_8949_csv_equals_an_independent_computation(synced: RunningSim, tmp_path: Path) -> None:
    years = sorted({h.fill(i)["created_at"][:4] for h in synced.exchange.histories for i in range(len(h))})
    checked = 0
    for year in map(int, years):
        target = tmp_path / f"tax-{year}.csv"
        result = run("tax-report", "--year", str(year), "--format", "8949", "--csv", str(target))
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        with target.open(newline="") as handle:
            header, *rows = list(csv.reader(handle))
        assert header == list(TAX_CSV_COLUMNS)
        expected = independent_8949(synced, year)
        assert [_normal_quantity(r) for r in rows] == [_normal_quantity(r) for r in expected]
        assert summary["csv"]["rows"] == len(rows) == summary["disposal_count"]
        checked += len(rows)
    assert checked > 100  # the demo history really sells


def test_plain_json_and_usage(synced: RunningSim) -> None:
    year = int(synced.exchange.histories[0].fill(len(synced.exchange.histories[0]) - 1)["created_at"][:4])
    fifo = json.loads(run("tax-report", "--year", str(year)).stdout)
    hifo = json.loads(run("tax-report", "--year", str(year), "--method", "hifo").stdout)
    assert fifo["method"] == "fifo" and hifo["method"] == "hifo"
    assert fifo["note"].endswith("this is not tax advice.")
    assert [t["term"] for t in fifo["terms"]] == ["short", "long"]
    proceeds = lambda report: sum(Decimal(t["proceeds"]) for t in report["terms"])  # noqa: E731
    assert proceeds(fifo) == proceeds(hifo)  # the same sales, other lots
    assert fifo["prices"]["needed"] == 0  # USD-quoted only: offline
    bad = run("tax-report", "--year", str(year), "--method", "specific")
    assert bad.exit_code == 2 and "specific identification is not supported" in bad.output
    assert run("tax-report", "--year", str(year), "--method", "average").exit_code == 2
