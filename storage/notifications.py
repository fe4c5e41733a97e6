"""Notifications for members: mentions, replies to their posts, likes."""

from __future__ import annotations

from storage.db import Database, Row


def add(db: Database, account_id: int, kind: str, post_id: int | None, from_account: int, now: str) -> None:
    """Not when the member muted the topic the post is in: a mute silences every kind (issue 12),
    and checking here means no writer of notifications can forget it."""
    db.execute(
        "INSERT INTO notifications (account_id, kind, post_id, from_account, created_at)"
        " SELECT ?, ?, ?, ?, ? WHERE ?3 IS NULL OR NOT EXISTS ("
        "SELECT 1 FROM topic_subscriptions s JOIN posts p ON p.topic_id = s.topic_id"
        " WHERE p.id = ?3 AND s.account_id = ?1 AND s.level = 'mute')",
        (account_id, kind, post_id, from_account, now),
    )


def for_account(db: Database, account_id: int, limit: int = 50, offset: int = 0) -> list[Row]:
    return db.all(
        "SELECT n.*, a.username AS from_username, a.display_name AS from_name,"
        " p.topic_id, p.kind AS post_kind, root.title AS topic_title, root.kind AS topic_kind,"
        " g.slug AS group_slug, o.username AS blog_owner_username"
        " FROM notifications n JOIN accounts a ON a.id = n.from_account"
        " LEFT JOIN posts p ON p.id = n.post_id LEFT JOIN posts root ON root.id = p.topic_id"
        " LEFT JOIN groups g ON g.id = root.group_id LEFT JOIN accounts o ON o.id = root.blog_owner"
        " WHERE n.account_id = ? ORDER BY n.id DESC LIMIT ? OFFSET ?",
        (account_id, limit, offset),
    )


def count_for(db: Database, account_id: int) -> int:
    return int(db.scalar("SELECT count(*) FROM notifications WHERE account_id = ?", (account_id,)) or 0)


def unread_count(db: Database, account_id: int) -> int:
    return int(
        db.scalar("SELECT count(*) FROM notifications WHERE account_id = ? AND read_at IS NULL", (account_id,))
        or 0
    )


def mark_read(db: Database, account_id: int, now: str) -> None:
    db.execute(
        "UPDATE notifications SET read_at = ? WHERE account_id = ? AND read_at IS NULL", (now, account_id)
    )


def page(db: Database, account_id: int, *, kinds: list[str] | None, excluded: list[str], max_id: int | None,
         since_id: int | None, min_id: int | None, limit: int) -> list[Row]:
    """A member's notifications, newest first, filtered by kind and bounded by id (the client API)."""
    clauses: list[str] = ["account_id = ?"]
    args: list[object] = [account_id]
    if kinds is not None:
        clauses.append(f"kind IN ({','.join('?' * len(kinds))})" if kinds else "0")
        args += kinds
    if excluded:
        clauses.append(f"kind NOT IN ({','.join('?' * len(excluded))})")
        args += excluded
    for bound, op in ((max_id, "<"), (since_id, ">"), (min_id, ">")):
        if bound is not None:
            clauses.append(f"id {op} ?")
            args.append(bound)
    order = "ASC" if min_id is not None else "DESC"
    rows = db.all(f"SELECT * FROM notifications WHERE {' AND '.join(clauses)} ORDER BY id {order} LIMIT ?",
                  [*args, limit])
    return list(reversed(rows)) if min_id is not None else rows


def get(db: Database, notification_id: int, account_id: int) -> Row | None:
    return db.one("SELECT * FROM notifications WHERE id = ? AND account_id = ?", (notification_id, account_id))
