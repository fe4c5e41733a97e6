"""The inbound queue: received activities, stored raw before they are processed, and our own jobs
(fetch a post, complete a thread) beside them.

A row is `pending` until it is `done`, `refused` (for good, with the reason) or `failed` (it kept
failing until the back-off gave up; an admin can retry it). `lane` is the server whose answers the
processing may wait on: the worker bounds how many rows of one lane run at once. Rows that share an
`ordering_key` (the object they concern) are processed one at a time, in the order received.
Queue bookkeeping commits with `counts=False`: it changes nothing a page shows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage.db import Database, Row

FINISHED = ("done", "refused", "failed")


@dataclass(frozen=True)
class NewRow:
    activity_id: str
    actor: str
    kind: str
    body: str
    lane: str
    ordering_key: str | None


@dataclass(frozen=True)
class Result:
    """What became of one processing attempt; `state` is one of pending, done, refused, failed."""

    id: int
    state: str
    error: str | None = None
    next_try_at: str | None = None
    waiting_on: str | None = None
    counts_as_try: bool = True


def seen_since(db: Database, activity_id: str, since: str) -> bool:
    """Stored and not finished yet, or received at or after `since`: a redelivery to suppress."""
    return db.one(
        "SELECT 1 FROM inbox WHERE activity_id = ? AND (state = 'pending' OR received_at >= ?) LIMIT 1",
        (activity_id, since),
    ) is not None


def store_many(db: Database, rows: Sequence[NewRow], now: str) -> None:
    """Store received activities in one transaction (one fsync for a group of requests)."""
    with db.transaction(counts=False) as conn:
        conn.executemany(
            "INSERT INTO inbox (activity_id, actor, type, body, lane, ordering_key, next_try_at, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r.activity_id, r.actor, r.kind, r.body, r.lane, r.ordering_key, now, now) for r in rows],
        )


def store(db: Database, row: NewRow, now: str) -> None:
    store_many(db, [row], now)


def add_job(db: Database, row: NewRow, now: str, *, since: str) -> str:
    """Queue a job unless the same job is pending; returns the state of the job that stands: 'pending',
    or the state of the same job finished at or after `since` (then nothing new is queued)."""
    with db.transaction(counts=False) as conn:
        found = conn.execute(
            "SELECT state FROM inbox WHERE activity_id = ? AND (state = 'pending' OR processed_at >= ?)"
            " ORDER BY state = 'pending' DESC, id DESC LIMIT 1",
            (row.activity_id, since),
        ).fetchone()
        if found is not None:
            return str(found[0])
        store_many(db, [row], now)
        return "pending"


def pending_received(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM inbox WHERE state = 'pending' AND type NOT LIKE 'meent:%'") or 0)


def pending_jobs_in_lane(db: Database, lane: str) -> int:
    return int(db.scalar(
        "SELECT count(*) FROM inbox WHERE lane = ? AND state = 'pending' AND type LIKE 'meent:%'", (lane,)) or 0)


def due(db: Database, now: str, limit: int, per_lane: int) -> list[Row]:
    """Pending rows whose time has come, at most `per_lane` of each lane, the longest waiting first;
    a row waits while an earlier row with its ordering key is pending.

    The lanes are walked through the index one seek each, and each lane gives its first rows by
    the same index, so the cost follows the number of lanes, not the size of the backlog."""
    return db.all(
        "WITH RECURSIVE lanes(lane) AS ("
        " SELECT (SELECT min(lane) FROM inbox WHERE state = 'pending')"
        " UNION ALL SELECT (SELECT min(lane) FROM inbox WHERE state = 'pending' AND lane > lanes.lane)"
        " FROM lanes WHERE lanes.lane IS NOT NULL)"
        " SELECT i.* FROM lanes JOIN inbox i ON i.id IN (SELECT id FROM inbox WHERE state = 'pending'"
        " AND lane = lanes.lane AND next_try_at <= ? ORDER BY next_try_at, id LIMIT ?)"
        " WHERE i.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM inbox e WHERE e.ordering_key = i.ordering_key"
        " AND e.state = 'pending' AND e.id < i.id)"
        " ORDER BY i.next_try_at, i.id LIMIT ?",
        (now, per_lane, limit),
    )


def apply_results(db: Database, results: Iterable[Result], now: str) -> list[str]:
    """Write what became of a group of rows in one transaction. Rows waiting on a job that ended are
    released (due now) when it is done, and refused with its reason when it is not. Returns the
    activity ids of the jobs that ended."""
    ended: list[str] = []
    with db.transaction(counts=False) as conn:
        for result in results:
            conn.execute(
                "UPDATE inbox SET state = ?, error = ?, next_try_at = coalesce(?, next_try_at), waiting_on = ?,"
                " attempts = attempts + ?, processed_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END"
                " WHERE id = ?",
                (result.state, _short(result.error), result.next_try_at, result.waiting_on,
                 int(result.counts_as_try), result.state, now, result.id),
            )
            if result.state != "pending":
                job = conn.execute("SELECT activity_id FROM inbox WHERE id = ? AND type LIKE 'meent:%'",
                                   (result.id,)).fetchone()
                if job is not None:
                    ended.append(job[0])
                    _release_waiters(conn, job[0], result, now)
    return ended


def _release_waiters(conn: sqlite3.Connection, job_id: str, result: Result, now: str) -> None:
    if result.state == "done":
        conn.execute("UPDATE inbox SET next_try_at = ?, waiting_on = NULL WHERE waiting_on = ? AND state = 'pending'",
                     (now, job_id))
    else:
        reason = _short(f"needed {job_id.split(':', 2)[-1]}, which could not be had: {result.error}")
        conn.execute("UPDATE inbox SET state = 'refused', error = ?, waiting_on = NULL, processed_at = ?"
                     " WHERE waiting_on = ? AND state = 'pending'", (reason, now, job_id))


def _short(text: str | None) -> str | None:
    return None if text is None else text[:2000]


def get(db: Database, row_id: int) -> Row | None:
    return db.one("SELECT * FROM inbox WHERE id = ?", (row_id,))


# --- for the admin --------------------------------------------------------------------------------


def counts(db: Database) -> dict[str, int]:
    rows = db.all("SELECT state, count(*) AS n FROM inbox GROUP BY state")
    found = {row["state"]: int(row["n"]) for row in rows}
    return {state: found.get(state, 0) for state in ("pending", "done", "refused", "failed")}


def oldest_pending(db: Database) -> str | None:
    value = db.scalar("SELECT min(received_at) FROM inbox WHERE state = 'pending'")
    return None if value is None else str(value)


def finished_badly(db: Database, state: str, limit: int) -> list[Row]:
    """The latest failed (or refused) rows, newest first."""
    return db.all("SELECT id, activity_id, actor, type, attempts, error, received_at, processed_at FROM inbox"
                  " WHERE state = ? ORDER BY id DESC LIMIT ?", (state, limit))


def retry(db: Database, row_ids: Sequence[int] | None, now: str) -> int:
    """Failed rows (these, or all) become pending again, due now, with a fresh count of tries."""
    where, params = ("state = 'failed'", [now]) if row_ids is None else (
        f"state IN ('failed', 'refused') AND id IN ({','.join('?' * len(row_ids))})", [now, *row_ids])
    with db.transaction(counts=False) as conn:
        return conn.execute(f"UPDATE inbox SET state = 'pending', attempts = 0, next_try_at = ?, processed_at = NULL"
                            f" WHERE {where}", params).rowcount


def drop(db: Database, row_ids: Sequence[int]) -> int:
    """Forget failed or refused rows."""
    with db.transaction(counts=False) as conn:
        return conn.execute(f"DELETE FROM inbox WHERE state IN ('failed', 'refused')"
                            f" AND id IN ({','.join('?' * len(row_ids))})", list(row_ids)).rowcount


def prune(db: Database, *, done_before: str, others_before: str) -> int:
    """Forget done rows processed before `done_before`, refused and failed ones before `others_before`."""
    with db.transaction(counts=False) as conn:
        cur = conn.execute(
            "DELETE FROM inbox WHERE (state = 'done' AND processed_at < ?)"
            " OR (state IN ('refused', 'failed') AND processed_at < ?)", (done_before, others_before))
        return cur.rowcount
