"""Second factor rows: a member's TOTP secret (encrypted by the service), recovery codes (hashed),
half-finished log-ins (hashed tokens), and the last log-in and deletion marks on accounts."""

from __future__ import annotations

from storage.db import Database, Row


def set_pending(db: Database, account_id: int, sealed: str | None) -> None:
    db.execute("UPDATE accounts SET totp_pending = ? WHERE id = ?", (sealed, account_id))


def enable(db: Database, account_id: int, sealed: str, step: int, code_hashes: list[str]) -> None:
    """The pending secret becomes the secret; the first code's step counts as used; new recovery codes."""
    with db.transaction():
        db.execute("UPDATE accounts SET totp_secret = ?, totp_pending = NULL, totp_last_step = ? WHERE id = ?",
                   (sealed, step, account_id))
        replace_recovery_codes(db, account_id, code_hashes)


def disable(db: Database, account_id: int) -> None:
    with db.transaction():
        db.execute("UPDATE accounts SET totp_secret = NULL, totp_pending = NULL, totp_last_step = 0 WHERE id = ?",
                   (account_id,))
        db.execute("DELETE FROM recovery_codes WHERE account_id = ?", (account_id,))


def use_step(db: Database, account_id: int, step: int) -> bool:
    """Record a code's time step as used; False when it (or a later one) was used already."""
    cur = db.execute("UPDATE accounts SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
                     (step, account_id, step))
    return cur.rowcount == 1


def replace_recovery_codes(db: Database, account_id: int, code_hashes: list[str]) -> None:
    db.execute("DELETE FROM recovery_codes WHERE account_id = ?", (account_id,))
    for code_hash in code_hashes:
        db.execute("INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)", (account_id, code_hash))


def use_recovery_code(db: Database, account_id: int, code_hash: str, now: str) -> bool:
    """Mark an unused code as used; False when there is no such unused code."""
    cur = db.execute("UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL",
                     (now, account_id, code_hash))
    return cur.rowcount == 1


def recovery_codes_left(db: Database, account_id: int) -> int:
    return int(db.scalar("SELECT count(*) FROM recovery_codes WHERE account_id = ? AND used_at IS NULL",
                         (account_id,)) or 0)


def start_pending(db: Database, token_hash: str, account_id: int, step: str, expires_at: str, now: str) -> None:
    """A half-finished log-in; expired ones go first."""
    db.execute("DELETE FROM pending_logins WHERE expires_at <= ?", (now,))
    db.execute("INSERT INTO pending_logins (token_hash, account_id, step, expires_at) VALUES (?, ?, ?, ?)",
               (token_hash, account_id, step, expires_at))


def pending(db: Database, token_hash: str, now: str) -> Row | None:
    return db.one("SELECT * FROM pending_logins WHERE token_hash = ? AND expires_at > ?", (token_hash, now))


def set_login_secret(db: Database, token_hash: str, sealed: str) -> None:
    """The secret a half-finished log-in is enrolling (seen by that log-in only)."""
    db.execute("UPDATE pending_logins SET totp_pending = ? WHERE token_hash = ?", (sealed, token_hash))


def end_pending(db: Database, token_hash: str) -> None:
    db.execute("DELETE FROM pending_logins WHERE token_hash = ?", (token_hash,))


def end_pending_for(db: Database, account_id: int) -> None:
    db.execute("DELETE FROM pending_logins WHERE account_id = ?", (account_id,))


def mark_deleted(db: Database, account_id: int, now: str) -> None:
    """The row stays (its user name reserved), emptied of what identified the person."""
    db.execute("UPDATE accounts SET deleted_at = ?, disabled = 1, email = NULL, password_hash = '!',"
               " display_name = username, job_title = '', department = '', about = '', totp_secret = NULL,"
               " totp_pending = NULL WHERE id = ?", (now, account_id))
    db.execute("DELETE FROM recovery_codes WHERE account_id = ?", (account_id,))
    db.execute("DELETE FROM pending_logins WHERE account_id = ?", (account_id,))


def local_post_ids(db: Database, account_id: int) -> list[int]:
    rows = db.all("SELECT id FROM posts WHERE author_id = ? AND uri IS NULL AND deleted_at IS NULL ORDER BY id",
                  (account_id,))
    return [int(row["id"]) for row in rows]
