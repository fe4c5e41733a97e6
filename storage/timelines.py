"""Timelines for the client API: pages of visible posts, newest first, by id (which grows with time)."""

from __future__ import annotations

from typing import Any

from storage.db import Database, Row
from storage.posts import SELECT

VISIBLE = ("posts.deleted_at IS NULL AND posts.removed_at IS NULL AND posts.state = 'published'"
           " AND root.deleted_at IS NULL AND root.removed_at IS NULL AND root.state = 'published'")


def page(db: Database, where: str, params: list[Any], *, limit: int, max_id: int | None = None,
         since_id: int | None = None, min_id: int | None = None, join: str = "") -> list[Row]:
    """Newest first below max_id and above since_id; with min_id, the page just above it (still newest first)."""
    clauses, values = [VISIBLE, f"({where})"], list(params)
    if max_id is not None:
        clauses.append("posts.id < ?")
        values.append(max_id)
    if since_id is not None:
        clauses.append("posts.id > ?")
        values.append(since_id)
    if min_id is not None:
        clauses.append("posts.id > ?")
        values.append(min_id)
    order = "ASC" if min_id is not None else "DESC"
    rows = db.all(f"{SELECT} {join} WHERE {' AND '.join(clauses)} ORDER BY posts.id {order} LIMIT ?",
                  [*values, limit])
    return list(reversed(rows)) if min_id is not None else rows


def home_where(account_id: int, member_uri: str) -> tuple[str, list[Any]]:
    """What a member follows: their own posts, followed groups, followed people (here or elsewhere)."""
    return (
        "posts.author_id = ? OR posts.group_id IN (SELECT group_id FROM group_follows WHERE account_id = ?)"
        " OR posts.author_id IN (SELECT a.id FROM accounts a JOIN follows f ON f.followee = a.actor_uri"
        "   WHERE f.follower = ? AND f.state = 'accepted')"
        " OR posts.author_id IN (SELECT a.id FROM accounts a JOIN follows f"
        "   ON f.followee = ? || '/users/' || a.username WHERE f.follower = ? AND a.domain IS NULL)",
        [account_id, account_id, member_uri, member_uri.rsplit("/users/", 1)[0], member_uri],
    )
