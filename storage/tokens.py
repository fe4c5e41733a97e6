"""OAuth apps, codes and tokens (all secrets hashed), idempotency keys and timeline markers."""

from __future__ import annotations

from storage.db import Database, Row


def create_app(db: Database, *, name: str, website: str | None, client_id: str, secret_hash: str,
               redirect_uris: str, scopes: str, now: str) -> int:
    cur = db.execute(
        "INSERT INTO oauth_apps (name, website, client_id, client_secret_hash, redirect_uris, scopes, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (name, website, client_id, secret_hash, redirect_uris, scopes, now),
    )
    return int(cur.lastrowid or 0)


def app_by_client_id(db: Database, client_id: str) -> Row | None:
    return db.one("SELECT * FROM oauth_apps WHERE client_id = ?", (client_id,))


def app_by_id(db: Database, app_id: int) -> Row | None:
    return db.one("SELECT * FROM oauth_apps WHERE id = ?", (app_id,))


def create_code(db: Database, *, code_hash: str, app_id: int, account_id: int, scopes: str, redirect_uri: str,
                challenge: str | None, method: str | None, expires_at: str) -> None:
    db.execute(
        "INSERT INTO oauth_codes (code_hash, app_id, account_id, scopes, redirect_uri, code_challenge,"
        " code_challenge_method, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (code_hash, app_id, account_id, scopes, redirect_uri, challenge, method, expires_at),
    )


def use_code(db: Database, code_hash: str, now: str) -> Row | None:
    """The unexpired, unused code, marked used in the same transaction (a code works once)."""
    with db.transaction():
        row = db.one("SELECT * FROM oauth_codes WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?",
                     (code_hash, now))
        if row is not None:
            db.execute("UPDATE oauth_codes SET used_at = ? WHERE code_hash = ?", (now, code_hash))
    return row


def create_token(db: Database, *, token_hash: str, app_id: int, account_id: int | None, scopes: str,
                 now: str) -> None:
    db.execute(
        "INSERT INTO oauth_tokens (token_hash, app_id, account_id, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
        (token_hash, app_id, account_id, scopes, now),
    )


def token(db: Database, token_hash: str) -> Row | None:
    return db.one("SELECT * FROM oauth_tokens WHERE token_hash = ? AND revoked_at IS NULL", (token_hash,))


def revoke(db: Database, token_hash: str, app_id: int, now: str) -> None:
    db.execute("UPDATE oauth_tokens SET revoked_at = ? WHERE token_hash = ? AND app_id = ?",
               (now, token_hash, app_id))


def idempotent_post(db: Database, account_id: int, key: str) -> int | None:
    value = db.scalar("SELECT post_id FROM idempotency_keys WHERE account_id = ? AND key = ?", (account_id, key))
    return None if value is None else int(value)


def remember_post(db: Database, account_id: int, key: str, post_id: int, now: str) -> None:
    db.execute("INSERT OR IGNORE INTO idempotency_keys (account_id, key, post_id, created_at) VALUES (?, ?, ?, ?)",
               (account_id, key, post_id, now))


def markers(db: Database, account_id: int, timelines: list[str]) -> list[Row]:
    marks = ",".join("?" * len(timelines))
    return db.all(f"SELECT * FROM markers WHERE account_id = ? AND timeline IN ({marks})", [account_id, *timelines])


def set_marker(db: Database, account_id: int, timeline: str, last_read_id: str, now: str) -> None:
    db.execute(
        "INSERT INTO markers (account_id, timeline, last_read_id, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(account_id, timeline) DO UPDATE SET last_read_id = excluded.last_read_id,"
        " version = markers.version + 1, updated_at = excluded.updated_at",
        (account_id, timeline, last_read_id, now),
    )


def revoke_for_account(db: Database, account_id: int, now: str) -> None:
    """Every live access token of the member (an admin ends all their sessions), and every
    authorization code not yet exchanged (it would become a token afterwards)."""
    db.execute("UPDATE oauth_tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
               (now, account_id))
    db.execute("UPDATE oauth_codes SET used_at = ? WHERE account_id = ? AND used_at IS NULL", (now, account_id))
