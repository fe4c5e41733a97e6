"""Read marks (what's new): per member and thread the highest post id seen. All SQL of it here.

A post is new to a member when its id is above their mark for its thread, it is not theirs, and it
is neither deleted nor removed. With no mark, every such post of the thread is new."""

from __future__ import annotations

import json
from collections.abc import Sequence

from storage import accounts
from storage.db import Database, Row

# p is a post of thread t; r the member's mark on t (LEFT JOINed, so NULL when never read).
_NEW = ("p.id > coalesce(r.last_read_post_id, 0) AND p.author_id != :account"
        " AND p.deleted_at IS NULL AND p.removed_at IS NULL")
# Nor is a post by an author whose posts the member does not see (a limited account they do not
# follow: node/services/blocks.py). One JSON array parameter, however many authors.
_SHOWN = " AND {alias}.author_id NOT IN (SELECT value FROM json_each(:hidden))"


def _new(hidden: Sequence[int]) -> str:
    return _NEW + (_SHOWN.format(alias="p") if hidden else "")


def mark(db: Database, account_id: int, topic_id: int) -> int | None:
    value = db.scalar("SELECT last_read_post_id FROM topic_reads WHERE account_id = ? AND topic_id = ?",
                      (account_id, topic_id))
    return None if value is None else int(value)


def advance(db: Database, account_id: int, topic_id: int, post_id: int, now: str) -> None:
    """Move the mark up to post_id; never back. Bookkeeping: cached pages stay valid."""
    with db.transaction(counts=False) as conn:
        conn.execute(
            "INSERT INTO topic_reads (account_id, topic_id, last_read_post_id, read_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (account_id, topic_id) DO UPDATE SET"
            " last_read_post_id = max(last_read_post_id, excluded.last_read_post_id), read_at = excluded.read_at",
            (account_id, topic_id, post_id, now),
        )


def _threads(topic_ids: Sequence[int], params: dict[str, object]) -> str:
    params.update({f"t{i}": topic_id for i, topic_id in enumerate(topic_ids)})
    return ",".join(f":t{i}" for i in range(len(topic_ids)))


def of_threads(db: Database, account_id: int, topic_ids: Sequence[int],
               hidden: Sequence[int] = ()) -> dict[int, Row]:
    """Per thread: mark (NULL if never read), new_replies (count), root_new (1 if the opening post is).
    hidden: authors whose posts the member does not see; they are never new."""
    if not topic_ids:
        return {}
    params: dict[str, object] = {"account": account_id, "hidden": json.dumps(list(hidden))}
    placeholders = _threads(topic_ids, params)
    root_shown = _SHOWN.format(alias="t") if hidden else ""
    rows = db.all(
        "SELECT t.id AS topic_id, r.last_read_post_id AS mark,"
        f" (SELECT count(*) FROM posts p WHERE p.topic_id = t.id AND p.id != t.id AND {_new(hidden)}) AS new_replies,"
        f" (r.account_id IS NULL AND t.author_id != :account{root_shown}) AS root_new"
        " FROM posts t LEFT JOIN topic_reads r ON r.account_id = :account AND r.topic_id = t.id"
        f" WHERE t.id IN ({placeholders})",
        params,
    )
    return {int(row["topic_id"]): row for row in rows}


def unread_topics_per_group(db: Database, account_id: int, hidden: Sequence[int] = ()) -> dict[int, int]:
    """Per local group: how many of its visible topics have a post new to the member (hidden:
    authors whose posts the member does not see: neither their topics nor their replies count)."""
    root_shown = _SHOWN.format(alias="t") if hidden else ""
    rows = db.all(
        "SELECT t.group_id AS group_id, count(*) AS unread FROM posts t"
        " LEFT JOIN topic_reads r ON r.account_id = :account AND r.topic_id = t.id"
        " WHERE t.kind = 'topic' AND t.group_id IS NOT NULL AND t.deleted_at IS NULL AND t.removed_at IS NULL"
        f"{root_shown} AND EXISTS (SELECT 1 FROM posts p WHERE p.topic_id = t.id AND {_new(hidden)})"
        " GROUP BY t.group_id",
        {"account": account_id, "hidden": json.dumps(list(hidden))},
    )
    return {int(row["group_id"]): int(row["unread"]) for row in rows}


def new_remote_authors(db: Database, account_id: int, viewer_uri: str, topic_ids: Sequence[int] | None) -> list[Row]:
    """The remote authors (id, actor_uri, followed: 1 when the member's follow of them is accepted)
    of posts new to the member in these threads (the only authors whose hiding can change the
    member's counts), or of any post in a group when topic_ids is None."""
    if topic_ids is not None and not topic_ids:
        return []
    params: dict[str, object] = {"account": account_id, "viewer": viewer_uri}
    if topic_ids is None:
        # every group's threads: the remote accounts that posted in a group at all, one index probe
        # each, rather than every post in the groups (more authors than needed, which costs nothing:
        # leaving out posts that are not new changes no count)
        authors = ("SELECT a2.id FROM accounts a2 WHERE a2.domain IS NOT NULL AND a2.domain != ''"
                   " AND EXISTS (SELECT 1 FROM posts p WHERE p.author_id = a2.id AND p.group_id IS NOT NULL)")
    else:
        authors = ("SELECT p.author_id FROM posts p"
                   " LEFT JOIN topic_reads r ON r.account_id = :account AND r.topic_id = p.topic_id"
                   f" WHERE p.topic_id IN ({_threads(topic_ids, params)}) AND {_NEW}")
    return db.all(accounts.remote_authors_query(authors, ":viewer"), params)
