"""The CLI's logging set-up: trade_tracker records to the current stderr at the asked level."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from trade_tracker.logs import LOGGER_NAME, configure_cli_logging


@pytest.fixture
def clean_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger(LOGGER_NAME)
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_info_reaches_the_current_stderr(clean_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    configure_cli_logging("info")
    later = io.StringIO()
    monkeypatch.setattr("sys.stderr", later)  # replaced after set-up: still honoured
    logging.getLogger("trade_tracker.coinbase").info("GET /time: answered 503; retry 1 in 0.25 s")
    logging.getLogger("trade_tracker.coinbase").debug("not shown")
    assert "INFO trade_tracker.coinbase: GET /time: answered 503; retry 1 in 0.25 s" in later.getvalue()
    assert "not shown" not in later.getvalue()


def test_default_is_warning_and_setting_up_twice_adds_one_handler(
    clean_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    configure_cli_logging(None)
    configure_cli_logging(None)
    logging.getLogger("trade_tracker.sync").info("quiet")
    logging.getLogger("trade_tracker.sync").warning("loud")
    assert out.getvalue().count("loud") == 1 and "quiet" not in out.getvalue()


def test_an_unknown_level_warns_and_falls_back(clean_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    configure_cli_logging("chatty")
    assert "TRADE_TRACKER_LOG_LEVEL='chatty' is not a log level" in out.getvalue()
