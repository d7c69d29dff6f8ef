"""Credential labels: one full-match rule, shared by the CLI and the MCP tools."""

from __future__ import annotations

import pytest

from trade_tracker.errors import InvalidArgument
from trade_tracker.labels import ENV_LABEL, check_label


@pytest.mark.parametrize("label", ["main\n", "main\r\n", "\nmain", "main\r", "ma\nin", "main\x00", "main\t"])
def test_control_characters_anywhere_are_refused(label: str) -> None:
    """``re.match(r"^...$")`` accepts ``"main\\n"`` ($ matches before a final newline): a full match does not."""
    with pytest.raises(InvalidArgument, match="1-64 characters") as info:
        check_label(label, allow_env=True)
    assert repr(label) in str(info.value)


@pytest.mark.parametrize("label", ["a", "A.b_c-9", "x" * 64, "-lead", "env"])
def test_good_labels_and_env_as_a_selector(label: str) -> None:
    assert check_label(label, allow_env=True) == label


def test_env_is_reserved_for_new_labels() -> None:
    with pytest.raises(InvalidArgument, match="reserved"):
        check_label(ENV_LABEL)
