"""``make screenshot`` (docs/make_screenshot.py): the demo data is the product's own answer, and without
Chromium the target installs nothing and says how to get it."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "docs" / "make_screenshot.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_screenshot", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_data_is_show_pnl_chart_shaped() -> None:
    data = _script().demo_chart()
    (usd,) = data["series"]
    assert usd["currency"] == "USD" and len(usd["periods"]) == 18
    assert data["fill_count"] == 216 and usd["periods"][0]["period"] == "2025-01"


def test_without_chromium_it_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    script = _script()
    monkeypatch.setattr(script, "CHROMIUM_CANDIDATES", ("/nonexistent/chromium",))
    assert script.main(["--out", str(tmp_path / "x.png")]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_the_committed_png_is_a_real_render() -> None:
    png = SCRIPT.parent / "pnl-chart.png"
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert (width, height) == (820, 640)
