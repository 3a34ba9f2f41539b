"""The record of every transaction the keeper signed, in SQLite under `state_dir`.

An entry is written before its first broadcast and each signed hash is added
before that hash is broadcast, so after a crash the keeper knows every hash it
may have put on the network and never signs a second transaction for a nonce
it already used.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL,
    sender TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    status TEXT NOT NULL,
    tx TEXT NOT NULL,
    tx_hashes TEXT NOT NULL DEFAULT '[]',
    block_number INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_pending ON transactions (sender, status);
"""


class TxStatus(StrEnum):
    PENDING = "pending"  # signed, maybe broadcast, no receipt seen yet
    MINED = "mined"  # receipt with status 1
    REVERTED = "reverted"  # receipt with status 0
    DROPPED = "dropped"  # the nonce was used by a transaction that is not ours
    UNSENT = "unsent"  # the node refused the first broadcast; the nonce was not used


@dataclass(frozen=True)
class JournalEntry:
    id: int
    label: str
    sender: str
    nonce: int
    status: TxStatus
    tx: dict[str, Any]
    tx_hashes: list[str]
    block_number: int | None


class Journal:
    """Thread-safe SQLite journal; one file per keeper state directory."""

    FILE_NAME = "transactions.sqlite"

    def __init__(self, state_dir: Path | str) -> None:
        state_dir = Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / self.FILE_NAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def record(self, label: str, sender: str, nonce: int, tx: dict[str, Any]) -> int:
        """Stores the unsigned transaction (fees included) before anything is broadcast."""
        now = time.time()
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO transactions (label, sender, nonce, status, tx, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (label, sender, nonce, TxStatus.PENDING, json.dumps(tx), now, now),
            )
            return cursor.lastrowid

    def add_hash(self, entry_id: int, tx_hash: str, tx: dict[str, Any]) -> None:
        """Adds a signed hash (and the fees it was signed with) before that hash is broadcast."""
        with self._lock:
            (hashes,) = self._db.execute("SELECT tx_hashes FROM transactions WHERE id = ?", (entry_id,)).fetchone()
            self._db.execute(
                "UPDATE transactions SET tx_hashes = ?, tx = ?, updated_at = ? WHERE id = ?",
                (json.dumps([*json.loads(hashes), tx_hash]), json.dumps(tx), time.time(), entry_id),
            )

    def finish(self, entry_id: int, status: TxStatus, block_number: int | None = None) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE transactions SET status = ?, block_number = ?, updated_at = ? WHERE id = ?",
                (status, block_number, time.time(), entry_id),
            )

    def get(self, entry_id: int) -> JournalEntry:
        with self._lock:
            row = self._db.execute(f"SELECT {self._COLUMNS} FROM transactions WHERE id = ?", (entry_id,)).fetchone()
        return self._entry(row)

    def pending(self, sender: str) -> list[JournalEntry]:
        """The sender's entries without a final status, lowest nonce first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._COLUMNS} FROM transactions WHERE sender = ? AND status = ? ORDER BY nonce, id",
                (sender, TxStatus.PENDING),
            ).fetchall()
        return [self._entry(row) for row in rows]

    def entries(self, sender: str) -> list[JournalEntry]:
        """Every entry of the sender, final or not, oldest first: what an audit of a run reads."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {self._COLUMNS} FROM transactions WHERE sender = ? ORDER BY id", (sender,)
            ).fetchall()
        return [self._entry(row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    _COLUMNS = "id, label, sender, nonce, status, tx, tx_hashes, block_number"

    @staticmethod
    def _entry(row) -> JournalEntry:
        entry_id, label, sender, nonce, status, tx, hashes, block_number = row
        return JournalEntry(
            entry_id, label, sender, nonce, TxStatus(status), json.loads(tx), json.loads(hashes), block_number
        )
