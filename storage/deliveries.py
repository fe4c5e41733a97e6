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


def enqueue(db: Database, *, activity_uri: str, signer: str, inboxes: list[str], now: str, body: str = "") -> int:
    """Queue one row per distinct inbox, due now; returns how many rows were new.

    A row refers to its activity in `activities` (stored by the same transaction) rather than
    copying the body a hundred times; `body` is only for an activity not kept there.
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


# A row with its activity's body (NULL when the activity is gone).
_WITH_BODY = ("d.id, d.activity_uri, d.inbox, d.domain, d.signer, d.state, d.tries, d.next_try_at, d.last_status,"
              " d.error, d.created_at, d.delivered_at,"
              " CASE WHEN d.body = '' THEN (SELECT a.body FROM activities a WHERE a.uri = d.activity_uri)"
              " ELSE d.body END AS body")


def due(db: Database, now: str, limit: int, *, per_domain: int | None = None) -> list[Row]:
    """Pending rows whose time has come, with the body to send, the longest waiting first; with
    `per_domain`, at most that many of one server, so a server with thousands waiting cannot hide
    the others' rows."""
    if per_domain is None:
        return db.all(f"SELECT {_WITH_BODY} FROM deliveries d WHERE state = 'pending' AND next_try_at <= ?"
                      " ORDER BY next_try_at, id LIMIT ?", (now, limit))
    return db.all(
        f"SELECT {_WITH_BODY} FROM (SELECT *, row_number() OVER (PARTITION BY domain ORDER BY next_try_at, id)"
        " AS place FROM deliveries WHERE state = 'pending' AND next_try_at <= ?) d WHERE place <= ?"
        " ORDER BY next_try_at, id LIMIT ?",
        (now, per_domain, limit),
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


def record_success(db: Database, domain: str, now: str) -> int:
    """The server took a delivery: its failures and unreachable mark are cleared, and if it had been
    failing, its waiting rows are due now (it is back: they need not sit out their back-off).
    Returns how many rows were brought forward."""
    with db.transaction(counts=False) as conn:
        was_failing = conn.execute("SELECT failures FROM servers WHERE domain = ?", (domain,)).fetchone()
        conn.execute(
            "INSERT INTO servers (domain, failures, unreachable_since, last_success_at) VALUES (?, 0, NULL, ?)"
            " ON CONFLICT(domain) DO UPDATE SET failures = 0, unreachable_since = NULL, failing_since = NULL,"
            " last_success_at = excluded.last_success_at",
            (domain, now),
        )
        if was_failing is None or not was_failing[0]:
            return 0
        return conn.execute("UPDATE deliveries SET next_try_at = ? WHERE domain = ? AND state = 'pending'"
                            " AND next_try_at > ?", (now, domain, now)).rowcount


def record_failure(db: Database, domain: str, now: str, *, error: str | None = None,
                   unreachable_before: str | None = None) -> int:
    """One more failure in a row; returns how many in a row. A server failing since at or before
    `unreachable_before` is marked unreachable since `now` (the first time only)."""
    limit = unreachable_before or ""
    with db.transaction(counts=False) as conn:
        row = conn.execute(
            "INSERT INTO servers (domain, failures, failing_since, last_failure_at, last_error) VALUES (?, 1, ?, ?, ?)"
            " ON CONFLICT(domain) DO UPDATE SET failures = failures + 1,"
            " failing_since = coalesce(failing_since, excluded.failing_since),"
            " last_failure_at = excluded.last_failure_at, last_error = excluded.last_error,"
            " unreachable_since = coalesce(unreachable_since,"
            "   CASE WHEN coalesce(failing_since, excluded.failing_since) <= ? THEN excluded.last_failure_at END)"
            " RETURNING failures",
            (domain, now, now, (error or "")[:500], limit),
        ).fetchone()
    return int(row[0])


def failing_since_of(db: Database, domains: Iterable[str]) -> dict[str, str]:
    """Since when each named server has been failing without a break (absent: it is not failing)."""
    rows = db.all(
        "SELECT domain, failing_since FROM servers WHERE failing_since IS NOT NULL"
        " AND domain IN (SELECT value FROM json_each(?))",
        (json.dumps(list(domains)),),
    )
    return {row["domain"]: str(row["failing_since"]) for row in rows}


def unreachable_since(db: Database, domain: str) -> str | None:
    value = db.scalar("SELECT unreachable_since FROM servers WHERE domain = ?", (domain,))
    return None if value is None else str(value)


def cancel_pending(db: Database, activity_uri: str, reason: str) -> None:
    """Stop an activity's pending deliveries for good (its object was deleted in the meantime)."""
    db.execute("UPDATE deliveries SET state = 'failed', error = ? WHERE activity_uri = ? AND state = 'pending'",
               (reason, activity_uri))


def prune(db: Database, *, done_before: str, others_before: str) -> int:
    """Forget rows delivered before `done_before` and rows that failed for good before `others_before`."""
    with db.transaction(counts=False) as conn:
        return conn.execute(
            "DELETE FROM deliveries WHERE (state = 'done' AND delivered_at < ?)"
            " OR (state = 'failed' AND coalesce(delivered_at, next_try_at) < ?)", (done_before, others_before),
        ).rowcount


# --- for the admin --------------------------------------------------------------------------------


def counts(db: Database) -> dict[str, int]:
    rows = db.all("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
    found = {row["state"]: int(row["n"]) for row in rows}
    return {state: found.get(state, 0) for state in ("pending", "done", "failed")}


def oldest_pending(db: Database) -> str | None:
    value = db.scalar("SELECT min(created_at) FROM deliveries WHERE state = 'pending'")
    return None if value is None else str(value)


def failing_servers(db: Database, limit: int) -> list[Row]:
    """Servers failing now, the longest failing first, with their last error and waiting rows."""
    return db.all(
        "SELECT s.domain, s.failures, s.failing_since, s.unreachable_since, s.last_failure_at, s.last_error,"
        " s.last_success_at, (SELECT count(*) FROM deliveries d WHERE d.domain = s.domain AND d.state = 'pending')"
        " AS waiting FROM servers s WHERE s.failures > 0 ORDER BY s.failing_since, s.domain LIMIT ?", (limit,))


def failed(db: Database, limit: int) -> list[Row]:
    return db.all("SELECT id, activity_uri, inbox, domain, tries, last_status, error, created_at FROM deliveries"
                  " WHERE state = 'failed' ORDER BY id DESC LIMIT ?", (limit,))


def retry_failed(db: Database, now: str, domain: str | None = None) -> int:
    """Rows that failed for good (all, or one server's) are pending again, due now, with fresh tries."""
    where, params = ("", [now]) if domain is None else (" AND domain = ?", [now, domain])
    with db.transaction(counts=False) as conn:
        return conn.execute("UPDATE deliveries SET state = 'pending', tries = 0, next_try_at = ?"
                            f" WHERE state = 'failed'{where}", params).rowcount


def send_now(db: Database, domain: str, now: str) -> int:
    """A server's waiting rows are due now (the admin knows it is back)."""
    with db.transaction(counts=False) as conn:
        conn.execute("UPDATE servers SET unreachable_since = NULL WHERE domain = ?", (domain,))
        return conn.execute("UPDATE deliveries SET next_try_at = ? WHERE domain = ? AND state = 'pending'",
                            (now, domain)).rowcount


def drop_failed(db: Database, domain: str | None = None) -> int:
    where, params = ("", []) if domain is None else (" AND domain = ?", [domain])
    with db.transaction(counts=False) as conn:
        return conn.execute(f"DELETE FROM deliveries WHERE state = 'failed'{where}", params).rowcount
