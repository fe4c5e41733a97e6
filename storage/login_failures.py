"""Failed log-ins, one row each, counted by the throttle within its window (times in Unix seconds)."""

from __future__ import annotations

from storage.db import Database


def add(db: Database, username: str, address: str, at: float) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("INSERT INTO login_failures (username, address, failed_at) VALUES (?, ?, ?)",
                     (username, address, at))


def count_pair(db: Database, username: str, address: str, since: float) -> int:
    return int(db.scalar("SELECT count(*) FROM login_failures WHERE username = ? AND address = ? AND failed_at > ?",
                         (username, address, since)) or 0)


def count_address(db: Database, address: str, since: float) -> int:
    return int(db.scalar("SELECT count(*) FROM login_failures WHERE address = ? AND failed_at > ?",
                         (address, since)) or 0)


def count_username(db: Database, username: str, since: float) -> int:
    return int(db.scalar("SELECT count(*) FROM login_failures WHERE username = ? AND failed_at > ?",
                         (username, since)) or 0)


def forget_pair(db: Database, username: str, address: str) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("DELETE FROM login_failures WHERE username = ? AND address = ?", (username, address))


def prune(db: Database, before: float) -> int:
    with db.transaction(counts=False) as conn:
        cur = conn.execute("DELETE FROM login_failures WHERE failed_at <= ?", (before,))
    return int(cur.rowcount)
