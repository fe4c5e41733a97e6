"""Node settings an admin changes at run time, and invitations."""

from __future__ import annotations

from storage.db import Database, Row


def get(db: Database, key: str) -> str | None:
    value = db.scalar("SELECT value FROM settings WHERE key = ?", (key,))
    return None if value is None else str(value)


def put(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def create_invite(db: Database, token_hash: str, created_by: int | None, now: str, expires: str) -> None:
    db.execute(
        "INSERT INTO invites (token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?)",
        (token_hash, created_by, now, expires),
    )


def open_invite(db: Database, token_hash: str, now: str) -> Row | None:
    return db.one(
        "SELECT * FROM invites WHERE token_hash = ? AND used_by IS NULL AND expires_at > ?",
        (token_hash, now),
    )


def use_invite(db: Database, invite_id: int, account_id: int, now: str) -> None:
    db.execute(
        "UPDATE invites SET used_by = ?, used_at = ? WHERE id = ?", (account_id, now, invite_id)
    )


def invites(db: Database) -> list[Row]:
    return db.all(
        "SELECT invites.*, accounts.username AS used_by_name FROM invites"
        " LEFT JOIN accounts ON accounts.id = invites.used_by ORDER BY invites.id DESC LIMIT 50"
    )


def with_prefix(db: Database, prefix: str) -> dict[str, str]:
    """All settings whose key starts with prefix (one query for a group of settings)."""
    rows = db.all("SELECT key, value FROM settings WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))
    return {str(row["key"]): str(row["value"]) for row in rows}
