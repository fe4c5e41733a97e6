"""E-mail: the outbox (rows pending -> sent | failed), single-use links, preferences, digest items."""

from __future__ import annotations

from storage.db import Database, Row

# The outbox is bookkeeping: it never changes what pages show (counts=False).


def enqueue(db: Database, *, recipient: str, kind: str, subject: str, text_body: str, html_body: str,
            unsubscribe_url: str, now: str) -> int:
    with db.transaction(counts=False) as conn:
        cur = conn.execute(
            "INSERT INTO mail_outbox (recipient, kind, subject, text_body, html_body, unsubscribe_url,"
            " next_try_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (recipient, kind, subject, text_body, html_body, unsubscribe_url, now, now))
    return int(cur.lastrowid or 0)


def due(db: Database, now: str, limit: int) -> list[Row]:
    return db.all("SELECT * FROM mail_outbox WHERE state = 'pending' AND next_try_at <= ? ORDER BY id LIMIT ?",
                  (now, limit))


def next_due_at(db: Database) -> str | None:
    value = db.scalar("SELECT min(next_try_at) FROM mail_outbox WHERE state = 'pending'")
    return None if value is None else str(value)


def mark_sent(db: Database, mail_id: int, now: str) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("UPDATE mail_outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = ''"
                     " WHERE id = ?", (now, mail_id))


def mark_failed(db: Database, mail_id: int, error: str, next_try_at: str | None) -> None:
    """next_try_at None: given up (state failed); else tried again then."""
    with db.transaction(counts=False) as conn:
        if next_try_at is None:
            conn.execute("UPDATE mail_outbox SET state = 'failed', attempts = attempts + 1, last_error = ?"
                         " WHERE id = ?", (error[:500], mail_id))
        else:
            conn.execute("UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?, next_try_at = ?"
                         " WHERE id = ?", (error[:500], next_try_at, mail_id))


def by_id(db: Database, mail_id: int) -> Row | None:
    return db.one("SELECT * FROM mail_outbox WHERE id = ?", (mail_id,))


def listing(db: Database, limit: int = 100) -> list[Row]:
    return db.all("SELECT * FROM mail_outbox ORDER BY id DESC LIMIT ?", (limit,))


def prune(db: Database, *, done_before: str, others_before: str) -> int:
    with db.transaction(counts=False) as conn:
        cur = conn.execute("DELETE FROM mail_outbox WHERE (state = 'sent' AND sent_at < ?)"
                           " OR (state = 'failed' AND created_at < ?)", (done_before, others_before))
    return int(cur.rowcount)


# Single-use links


def add_token(db: Database, *, token_hash: str, purpose: str, account_id: int, now: str, expires_at: str) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("INSERT INTO mail_tokens (token_hash, purpose, account_id, created_at, expires_at)"
                     " VALUES (?, ?, ?, ?, ?)", (token_hash, purpose, account_id, now, expires_at))


def token(db: Database, token_hash: str, purpose: str) -> Row | None:
    return db.one("SELECT * FROM mail_tokens WHERE token_hash = ? AND purpose = ?", (token_hash, purpose))


def open_token_since(db: Database, account_id: int, purpose: str, since: str, now: str) -> bool:
    return db.one("SELECT 1 FROM mail_tokens WHERE account_id = ? AND purpose = ? AND used_at IS NULL"
                  " AND expires_at > ? AND created_at >= ?", (account_id, purpose, now, since)) is not None


def use_token(db: Database, token_id: int, now: str) -> bool:
    """Mark a link used; False when it was used already (two clicks at once: one wins)."""
    with db.transaction(counts=False) as conn:
        cur = conn.execute("UPDATE mail_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL", (now, token_id))
    return cur.rowcount == 1


def retire_tokens(db: Database, account_id: int, purpose: str, now: str) -> None:
    """A new link makes the earlier ones of the same purpose unusable."""
    with db.transaction(counts=False) as conn:
        conn.execute("UPDATE mail_tokens SET used_at = ? WHERE account_id = ? AND purpose = ? AND used_at IS NULL",
                     (now, account_id, purpose))


def set_pending(db: Database, account_id: int, pending: bool) -> None:
    db.execute("UPDATE accounts SET email_pending = ? WHERE id = ?", (int(pending), account_id))


def account_by_email(db: Database, email: str, *, pending: bool = False) -> Row | None:
    """The member whose address this is (confirmed), or with pending=True the newest sign-up still
    waiting for its link: an unconfirmed sign-up never speaks for an address."""
    order = "DESC" if pending else ""
    return db.one("SELECT * FROM accounts WHERE domain IS NULL AND email = ? COLLATE NOCASE"
                  f" AND email IS NOT NULL AND email_pending = ? ORDER BY id {order} LIMIT 1", (email, int(pending)))


# Preferences and the digest

PREF_KINDS = ("mention", "reply", "topic")


def prefs(db: Database, account_id: int) -> Row | None:
    return db.one("SELECT * FROM mail_prefs WHERE account_id = ?", (account_id,))


def put_prefs(db: Database, account_id: int, values: dict[str, int]) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("INSERT OR IGNORE INTO mail_prefs (account_id) VALUES (?)", (account_id,))
        for name in (*PREF_KINDS, "digest"):
            if name in values:
                conn.execute(f"UPDATE mail_prefs SET {name} = ? WHERE account_id = ?", (values[name], account_id))


def add_digest_item(db: Database, account_id: int, kind: str, line: str, url: str, now: str) -> None:
    db.execute("INSERT INTO mail_digest_items (account_id, kind, line, url, created_at) VALUES (?, ?, ?, ?, ?)",
               (account_id, kind, line, url, now))


def digest_accounts(db: Database, before: str) -> list[int]:
    """Members with waiting digest items whose last digest is older than `before` (or never sent)."""
    rows = db.all("SELECT DISTINCT i.account_id FROM mail_digest_items i LEFT JOIN mail_prefs p"
                  " ON p.account_id = i.account_id WHERE p.last_digest_at IS NULL OR p.last_digest_at < ?",
                  (before,))
    return [int(row[0]) for row in rows]


def take_digest_items(db: Database, account_id: int, now: str) -> list[Row]:
    """The waiting items, removed, and the digest marked sent now (call inside the enqueue's transaction)."""
    rows = db.all("SELECT * FROM mail_digest_items WHERE account_id = ? ORDER BY id", (account_id,))
    db.execute("DELETE FROM mail_digest_items WHERE account_id = ?", (account_id,))
    db.execute("INSERT OR IGNORE INTO mail_prefs (account_id) VALUES (?)", (account_id,))
    db.execute("UPDATE mail_prefs SET last_digest_at = ? WHERE account_id = ?", (now, account_id))
    return rows


def forget_account(db: Database, account_id: int, address: str | None) -> None:
    """A deleted member: their links, preferences and digest items go, and the mails to their address
    (unless another member still has that address)."""
    db.execute("DELETE FROM mail_tokens WHERE account_id = ?", (account_id,))
    db.execute("DELETE FROM mail_prefs WHERE account_id = ?", (account_id,))
    db.execute("DELETE FROM mail_digest_items WHERE account_id = ?", (account_id,))
    if address:
        db.execute("DELETE FROM mail_outbox WHERE recipient = ? COLLATE NOCASE AND NOT EXISTS (SELECT 1 FROM"
                   " accounts WHERE email = ? COLLATE NOCASE AND id != ? AND deleted_at IS NULL)",
                   (address, address, account_id))
