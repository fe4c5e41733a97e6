"""The delivery queue: one row per (activity, inbox), and what we know of each remote server.

All the queue's SQL lives here; the policy (when to retry, when a server counts as unreachable)
lives in federation/delivery.py. Times are ISO 8601 UTC text with milliseconds and Z, so they
sort as text. Queue bookkeeping commits with `counts=False`: it changes nothing a page shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from urllib.parse import urlsplit

from storage.db import Database, Row


def domain_of(url: str) -> str:
    """host[:port] in lower case, as federation.audience.domain_of; "" for a URL that cannot be split.

    Storage must not import federation, so the rule is repeated here; a malformed URL still gets its
    row, and the worker records why it could not be sent instead of the post failing to save.
    """
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def enqueue(db: Database, *, activity_uri: str, body: str, signer: str, inboxes: list[str], now: str) -> int:
    """Queue one row per distinct inbox, due now; returns how many rows were new.

    Joins the caller's open transaction, so the object, the activity and its deliveries commit
    together; an inbox already queued for this activity is left as it is.
    """
    rows = [(activity_uri, inbox, domain_of(inbox), signer, body, now, now) for inbox in dict.fromkeys(inboxes)]
    with db.transaction(counts=False) as conn:
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO deliveries (activity_uri, inbox, domain, signer, body, next_try_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        return conn.total_changes - before


def due(db: Database, now: str, limit: int) -> list[Row]:
    """Pending rows whose time has come, the longest waiting first."""
    return db.all(
        "SELECT * FROM deliveries WHERE state = 'pending' AND next_try_at <= ? ORDER BY next_try_at, id LIMIT ?",
        (now, limit),
    )


def get(db: Database, delivery_id: int) -> Row | None:
    return db.one("SELECT * FROM deliveries WHERE id = ?", (delivery_id,))


def for_activity(db: Database, activity_uri: str) -> list[Row]:
    return db.all("SELECT * FROM deliveries WHERE activity_uri = ? ORDER BY id", (activity_uri,))


def mark_done(db: Database, ids: Iterable[int], now: str, status: int | None = None) -> None:
    """Delivered: the attempt counts as a try; `status` is the answer's code when the caller has it."""
    with db.transaction(counts=False) as conn:
        conn.executemany(
            "UPDATE deliveries SET state = 'done', tries = tries + 1, delivered_at = ?, last_status = ?, error = NULL"
            " WHERE id = ? AND state = 'pending'",
            [(now, status, delivery_id) for delivery_id in ids],
        )


def mark_retry(db: Database, id: int, next_try_at: str, status: int | None, error: str | None) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute(
            "UPDATE deliveries SET tries = tries + 1, next_try_at = ?, last_status = ?, error = ?"
            " WHERE id = ? AND state = 'pending'",
            (next_try_at, status, error, id),
        )


def mark_failed(db: Database, id: int, status: int | None, error: str | None) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute(
            "UPDATE deliveries SET state = 'failed', tries = tries + 1, last_status = ?, error = ?"
            " WHERE id = ? AND state = 'pending'",
            (status, error, id),
        )


def pending_count(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM deliveries WHERE state = 'pending'") or 0)


# --- remote servers -----------------------------------------------------------------------------


def record_success(db: Database, domain: str, now: str) -> None:
    """The server took a delivery: its failure count and unreachable mark are cleared."""
    with db.transaction(counts=False) as conn:
        conn.execute(
            "INSERT INTO servers (domain, failures, unreachable_since, last_success_at) VALUES (?, 0, NULL, ?)"
            " ON CONFLICT(domain) DO UPDATE SET failures = 0, unreachable_since = NULL,"
            " last_success_at = excluded.last_success_at",
            (domain, now),
        )


def record_failure(db: Database, domain: str, now: str, *, unreachable_after: int = 10) -> int:
    """One more failure in a row; returns how many in a row. From `unreachable_after` on, the
    server is marked unreachable since `now` (the first time only)."""
    with db.transaction(counts=False) as conn:
        row = conn.execute(
            "INSERT INTO servers (domain, failures, unreachable_since) VALUES (?, 1, CASE WHEN ? <= 1 THEN ? END)"
            " ON CONFLICT(domain) DO UPDATE SET failures = failures + 1,"
            " unreachable_since = coalesce(unreachable_since, CASE WHEN failures + 1 >= ? THEN ? END)"
            " RETURNING failures",
            (domain, unreachable_after, now, unreachable_after, now),
        ).fetchone()
    return int(row[0])


def unreachable_since(db: Database, domain: str) -> str | None:
    value = db.scalar("SELECT unreachable_since FROM servers WHERE domain = ?", (domain,))
    return None if value is None else str(value)


def failures_of(db: Database, domains: Iterable[str]) -> dict[str, int]:
    """Consecutive failures of each named server that has any (absent means none).

    The names travel as one JSON parameter, so a batch of hundreds of servers is one query."""
    rows = db.all(
        "SELECT domain, failures FROM servers WHERE failures > 0 AND domain IN (SELECT value FROM json_each(?))",
        (json.dumps(list(domains)),),
    )
    return {row["domain"]: int(row["failures"]) for row in rows}


def cancel_pending(db: Database, activity_uri: str, reason: str) -> None:
    """Stop an activity's pending deliveries for good (its object was deleted in the meantime)."""
    db.execute("UPDATE deliveries SET state = 'failed', error = ? WHERE activity_uri = ? AND state = 'pending'",
               (reason, activity_uri))
