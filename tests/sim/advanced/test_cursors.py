"""Sealed cursors: a round trip works; an edited, foreign or other-query cursor is refused."""

from __future__ import annotations

import pytest

from trade_tracker.sim.advanced import CursorCodec, InvalidCursor


def test_round_trip_and_refusals() -> None:
    codec = CursorCodec(b"secret")
    digest = CursorCodec.filters_digest({"product_ids": ["B", "A"], "start": None})
    assert digest == CursorCodec.filters_digest({"start": None, "product_ids": ["A", "B"]})
    cursor = codec.issue("fills", [123, "abc"], digest)
    assert codec.open(cursor, "fills", digest) == [123, "abc"]
    with pytest.raises(InvalidCursor):
        CursorCodec(b"other").open(cursor, "fills", digest)
    with pytest.raises(InvalidCursor):
        codec.open(cursor, "orders", digest)
    with pytest.raises(InvalidCursor):
        codec.open(cursor, "fills", CursorCodec.filters_digest({}))
    forged = CursorCodec(b"other").issue("fills", [999, "zzz"], digest)
    with pytest.raises(InvalidCursor):
        codec.open(forged.split(".")[0] + "." + cursor.split(".")[1], "fills", digest)
    for bad in ("", ".", "%%%.%%%", "e30"):
        with pytest.raises(InvalidCursor):
            codec.open(bad, "fills", digest)
