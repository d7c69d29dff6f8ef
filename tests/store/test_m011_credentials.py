"""m011_credentials_venue on the real 0.1.0 store: every credential column kept byte for byte, the new shape."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from trade_tracker.store.connection import TradeStore

RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "release_0_1_0"
OLD_COLUMNS = (
    "label",
    "exchange",
    "base_url",
    "key_fingerprint",
    "key_ct",
    "secret_ct",
    "passphrase_ct",
    "created_at",
    "last_verified_at",
    "verify_status",
    "permissions",
)


def _raw(path: Path) -> list[tuple[object, ...]]:
    """Every old column as stored bytes and storage class, with the rowid (plain sqlite3)."""
    conn = sqlite3.connect(path)
    try:
        cells = ", ".join(f"CAST({c} AS BLOB), typeof({c})" for c in OLD_COLUMNS)
        return conn.execute(f"SELECT rowid, {cells} FROM credentials ORDER BY rowid").fetchall()
    finally:
        conn.close()


def test_m011_keeps_every_credential_column_and_makes_passphrase_optional(tmp_path: Path) -> None:
    path = tmp_path / "trades.db"
    shutil.copyfile(RELEASE / "trades.db", path)
    path.chmod(0o600)
    before = _raw(path)
    assert len(before) == 1 and before[0][1] == b"main"
    with TradeStore(path) as store:
        conn = store.conn
        names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
        assert "m011_credentials_venue" in names
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        info = {r[1]: r for r in conn.execute("PRAGMA table_info(credentials)")}
        assert list(info)[: len(OLD_COLUMNS)] == list(OLD_COLUMNS) and list(info)[-1] == "portfolio"
        assert info["passphrase_ct"][3] == 0 and info["key_ct"][3] == 1  # notnull flags
        assert info["label"][5] == 1 and info["exchange"][4] == "'coinbase-exchange'"
        assert conn.execute("SELECT portfolio FROM credentials").fetchall() == [(None,)]
        assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'credentials_m011'").fetchall()
    assert _raw(path) == before
    with sqlite3.connect(path) as conn:  # an Advanced Trade key stores no passphrase
        conn.execute(
            "INSERT INTO credentials (label, exchange, key_fingerprint, key_ct, secret_ct, created_at) "
            "VALUES ('at', 'coinbase-advanced', 'fp', 'k', 's', 'now')"
        )
    conn.close()
