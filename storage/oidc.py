"""OpenID Connect: links from a provider's subject to a member, and log-in attempts in flight."""

from __future__ import annotations

from storage.db import Database, Row


def put_flow(db: Database, *, state_hash: str, provider: str, nonce: str, verifier: str, next_url: str,
             expires_at: float, now: float) -> None:
    db.execute("DELETE FROM oidc_flows WHERE expires_at < ?", (now,))
    db.execute("INSERT INTO oidc_flows (state_hash, provider, nonce, verifier, next, expires_at)"
               " VALUES (?, ?, ?, ?, ?, ?)", (state_hash, provider, nonce, verifier, next_url, expires_at))


def take_flow(db: Database, state_hash: str, now: float) -> Row | None:
    """The attempt with this state, removed at once (single use); None if unknown or expired."""
    row = db.one("DELETE FROM oidc_flows WHERE state_hash = ? RETURNING *", (state_hash,))
    return row if row is not None and row["expires_at"] >= now else None


def link(db: Database, provider: str, subject: str) -> Row | None:
    return db.one("SELECT * FROM oidc_links WHERE provider = ? AND subject = ?", (provider, subject))


def links_for(db: Database, account_id: int) -> list[Row]:
    return db.all("SELECT * FROM oidc_links WHERE account_id = ?", (account_id,))


def create_link(db: Database, *, provider: str, subject: str, account_id: int, refresh_token: str,
                now: str) -> None:
    db.execute("INSERT INTO oidc_links (provider, subject, account_id, refresh_token, created_at, checked_at)"
               " VALUES (?, ?, ?, ?, ?, ?)", (provider, subject, account_id, refresh_token, now, now))


def set_subject(db: Database, link_id: int, subject: str) -> None:
    db.execute("UPDATE oidc_links SET subject = ? WHERE id = ?", (subject, link_id))


def refresh_link(db: Database, link_id: int, refresh_token: str | None, now: str) -> None:
    """A successful log-in or check; a new refresh token replaces the old one (rotation)."""
    if refresh_token is None:
        db.execute("UPDATE oidc_links SET checked_at = ? WHERE id = ?", (now, link_id))
    else:
        db.execute("UPDATE oidc_links SET checked_at = ?, refresh_token = ? WHERE id = ?",
                   (now, refresh_token, link_id))


def disable_link(db: Database, link_id: int, reason: str, now: str) -> None:
    db.execute("UPDATE oidc_links SET disabled_at = ?, disabled_reason = ?, refresh_token = '' WHERE id = ?",
               (now, reason, link_id))


def enable_link(db: Database, link_id: int) -> None:
    db.execute("UPDATE oidc_links SET disabled_at = NULL, disabled_reason = '' WHERE id = ?", (link_id,))


def due_for_check(db: Database, before: str) -> list[Row]:
    """Live links not checked since `before` (the re-validation pass)."""
    return db.all("SELECT * FROM oidc_links WHERE disabled_at IS NULL AND (checked_at IS NULL OR checked_at < ?)"
                  " ORDER BY checked_at", (before,))


def update_member(db: Database, account_id: int, fields: dict[str, str]) -> None:
    """Name, e-mail and the like, as the provider now gives them (only the keys passed)."""
    allowed = [name for name in fields if name in ("display_name", "email", "department", "job_title")]
    if allowed:
        db.execute(f"UPDATE accounts SET {', '.join(f'{n} = ?' for n in allowed)} WHERE id = ?",
                   [fields[n] for n in allowed] + [account_id])
