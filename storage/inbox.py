"""Received activities, stored raw before they are processed."""

from __future__ import annotations

from storage.db import Database, Row


def seen(db: Database, activity_id: str) -> bool:
    return db.one("SELECT 1 FROM inbox WHERE activity_id = ?", (activity_id,)) is not None


def store(db: Database, activity_id: str, actor: str, kind: str, body: str, now: str) -> bool:
    """Store once; False when this activity id was stored before."""
    cur = db.execute(
        "INSERT OR IGNORE INTO inbox (activity_id, actor, type, body, received_at) VALUES (?, ?, ?, ?, ?)",
        (activity_id, actor, kind, body, now),
    )
    return bool(cur.rowcount)


def pending(db: Database, max_attempts: int, limit: int, now: str) -> list[Row]:
    return db.all(
        "SELECT * FROM inbox WHERE processed_at IS NULL AND attempts < ?"
        " AND (next_try_at IS NULL OR next_try_at <= ?) ORDER BY id LIMIT ?",
        (max_attempts, now, limit),
    )


def processed_many(db: Database, row_ids: list[int], now: str) -> None:
    if row_ids:
        db.execute(
            f"UPDATE inbox SET processed_at = ?, attempts = attempts + 1, error = NULL"
            f" WHERE id IN ({','.join('?' * len(row_ids))})",
            [now, *row_ids],
        )


def failed(db: Database, row_id: int, error: str, next_try_at: str) -> None:
    db.execute("UPDATE inbox SET attempts = attempts + 1, error = ?, next_try_at = ? WHERE id = ?",
               (error[:2000], next_try_at, row_id))
