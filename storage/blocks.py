"""Blocks and limits set at run time, and the shared allow/block lists subscribed to by URL."""

from __future__ import annotations

from collections.abc import Iterable

from storage.db import Database, Row


def put(db: Database, *, target: str, kind: str, severity: str, reason: str, created_by: int | None,
        now: str) -> None:
    """A new block or limit, or a changed one (the same target blocked again: new severity and reason)."""
    db.execute(
        "INSERT INTO blocks (target, kind, severity, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(target) DO UPDATE SET severity = excluded.severity, reason = excluded.reason,"
        " created_by = excluded.created_by, created_at = excluded.created_at",
        (target, kind, severity, reason, created_by, now),
    )


def get(db: Database, target: str) -> Row | None:
    return db.one("SELECT * FROM blocks WHERE target = ?", (target,))


def remove(db: Database, target: str) -> bool:
    return db.execute("DELETE FROM blocks WHERE target = ?", (target,)).rowcount > 0


def listing(db: Database) -> list[Row]:
    return db.all("SELECT b.*, a.username AS created_by_name FROM blocks b"
                  " LEFT JOIN accounts a ON a.id = b.created_by ORDER BY b.kind, b.target")


def fingerprint(db: Database) -> str:
    """Changes whenever a block, a limit or a list's entries change (a cheap poll for other processes)."""
    return str(db.scalar(
        "SELECT (SELECT ifnull(group_concat(target || ' ' || severity, ','), '') FROM blocks) || '|' ||"
        " (SELECT ifnull(group_concat(id || ' ' || kind || ' ' || ifnull(fetched_at, '') || ' ' || entry_count,"
        " ','), '') FROM block_lists)"))


def remote_actors_of(db: Database, *, domain: str | None = None, uri: str | None = None) -> list[str]:
    """Known remote actor URIs on a domain (or its subdomains, any port), or the one actor `uri`."""
    if uri is not None:
        return [uri]
    rows = db.all("SELECT uri FROM actors WHERE domain = ? OR domain LIKE ? OR domain LIKE ? OR domain LIKE ?",
                  (domain, f"{domain}:%", f"%.{domain}", f"%.{domain}:%"))
    return [row["uri"] for row in rows]


def sever_follows(db: Database, actor_uris: Iterable[str]) -> int:
    """Remove every follow from or of these actors, their memberships of our groups and our members'
    of theirs (when they are groups); returns the follows removed."""
    removed = 0
    for uri in actor_uris:
        removed += db.execute("DELETE FROM follows WHERE follower = ? OR followee = ?", (uri, uri)).rowcount
        db.execute("DELETE FROM group_follows WHERE account_id IN (SELECT id FROM accounts WHERE actor_uri = ?)"
                   " OR group_id IN (SELECT id FROM groups WHERE actor_uri = ?)", (uri, uri))
    return removed


# Shared lists


def add_list(db: Database, *, url: str, kind: str, created_by: int | None, now: str) -> int:
    cur = db.execute("INSERT INTO block_lists (url, kind, created_by, created_at, next_fetch_at)"
                     " VALUES (?, ?, ?, ?, ?)", (url, kind, created_by, now, now))
    return int(cur.lastrowid or 0)


def get_list(db: Database, list_id: int) -> Row | None:
    return db.one("SELECT * FROM block_lists WHERE id = ?", (list_id,))


def list_by_url(db: Database, url: str) -> Row | None:
    return db.one("SELECT * FROM block_lists WHERE url = ?", (url,))


def remove_list(db: Database, list_id: int) -> bool:
    return db.execute("DELETE FROM block_lists WHERE id = ?", (list_id,)).rowcount > 0


def lists(db: Database) -> list[Row]:
    return db.all("SELECT * FROM block_lists ORDER BY id")


def due_lists(db: Database, now: str) -> list[Row]:
    return db.all("SELECT * FROM block_lists WHERE next_fetch_at IS NULL OR next_fetch_at <= ? ORDER BY id", (now,))


def replace_entries(db: Database, list_id: int, entries: dict[str, tuple[str, str]], *, fetched_at: str,
                    next_fetch_at: str, error: str | None) -> None:
    """The list's entries as just fetched (domain -> (severity, comment)); error: lines skipped, if any."""
    with db.transaction() as conn:
        conn.execute("DELETE FROM block_list_entries WHERE list_id = ?", (list_id,))
        conn.executemany("INSERT INTO block_list_entries (list_id, domain, severity, comment) VALUES (?, ?, ?, ?)",
                         [(list_id, domain, severity, comment) for domain, (severity, comment) in entries.items()])
        conn.execute("UPDATE block_lists SET fetched_at = ?, next_fetch_at = ?, last_error = ?, entry_count = ?"
                     " WHERE id = ?", (fetched_at, next_fetch_at, error, len(entries), list_id))


def fetch_failed(db: Database, list_id: int, *, error: str, next_fetch_at: str) -> None:
    """A refresh that failed: the entries stay as they were."""
    db.execute("UPDATE block_lists SET last_error = ?, next_fetch_at = ? WHERE id = ?", (error, next_fetch_at, list_id))


def entries(db: Database, list_id: int | None = None) -> list[Row]:
    where, params = ("WHERE e.list_id = ?", (list_id,)) if list_id is not None else ("", ())
    return db.all("SELECT e.domain, e.severity, e.comment, e.list_id, l.url, l.kind FROM block_list_entries e"
                  f" JOIN block_lists l ON l.id = e.list_id {where} ORDER BY e.domain", params)
