"""Web sessions: one row per signed-in browser, found by the SHA-256 of its cookie token."""

from __future__ import annotations

from storage.db import Database, Row

# Session bookkeeping never changes what pages show, so it does not invalidate cached pages.


def create(db: Database, *, token_hash: str, account_id: int, now: str, expires_at: str, user_agent: str,
           address: str) -> int:
    with db.transaction(counts=False) as conn:
        cur = conn.execute(
            "INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at, user_agent, address)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token_hash, account_id, now, now, expires_at, user_agent, address),
        )
    return int(cur.lastrowid or 0)


def account_by_token(db: Database, token_hash: str) -> Row | None:
    """The account row plus session_id, session_seen_at and session_expires_at: one indexed read."""
    return db.one(
        "SELECT a.*, s.id AS session_id, s.last_seen_at AS session_seen_at, s.expires_at AS session_expires_at"
        " FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?",
        (token_hash,),
    )


def touch(db: Database, session_id: int, now: str, expires_at: str) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?",
                     (now, expires_at, session_id))


def for_account(db: Database, account_id: int, now: str) -> list[Row]:
    return db.all("SELECT * FROM sessions WHERE account_id = ? AND expires_at > ? ORDER BY last_seen_at DESC, id DESC",
                  (account_id, now))


def counts(db: Database, now: str) -> dict[int, int]:
    """Active sessions per account id."""
    rows = db.all("SELECT account_id, count(*) AS n FROM sessions WHERE expires_at > ? GROUP BY account_id", (now,))
    return {int(row["account_id"]): int(row["n"]) for row in rows}


def delete(db: Database, session_id: int) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))


def delete_by_token(db: Database, token_hash: str) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))


def delete_one_of(db: Database, account_id: int, session_id: int) -> bool:
    """End one of this account's sessions; False when it has no such session."""
    with db.transaction(counts=False) as conn:
        cur = conn.execute("DELETE FROM sessions WHERE id = ? AND account_id = ?", (session_id, account_id))
    return cur.rowcount > 0


def delete_for_account(db: Database, account_id: int, *, keep: int | None = None) -> int:
    """End every session of the account, except `keep`; returns how many ended."""
    with db.transaction(counts=False) as conn:
        cur = conn.execute("DELETE FROM sessions WHERE account_id = ? AND id IS NOT ?", (account_id, keep))
    return int(cur.rowcount)


def prune(db: Database, now: str) -> int:
    with db.transaction(counts=False) as conn:
        cur = conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
    return int(cur.rowcount)
