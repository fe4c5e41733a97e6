"""Posts: topics' opening posts, replies and blog posts, with tags, mentions and likes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from storage import accounts
from storage.db import Database, Row

SELECT = (
    "SELECT posts.*, a.username AS author_username, a.display_name AS author_name,"
    " a.job_title AS author_job_title, a.avatar_hash AS author_avatar_hash, a.avatar_url AS author_avatar_url,"
    " g.slug AS group_slug, g.name AS group_name,"
    " o.username AS blog_owner_username, o.display_name AS blog_owner_name,"
    " root.title AS topic_title, root.kind AS topic_kind, root.uri AS topic_uri, root.state AS topic_state,"
    " root.deleted_at AS topic_deleted_at, root.context_uri AS topic_context,"
    " root.removed_at AS topic_removed_at, root.locked_at AS topic_locked_at,"
    " a.actor_uri AS author_uri, a.domain AS author_domain, g.actor_uri AS group_uri, g.domain AS group_domain,"
    " parent.uri AS parent_uri, parent.author_id AS parent_author_id"
    " FROM posts"
    " JOIN accounts a ON a.id = posts.author_id"
    " LEFT JOIN groups g ON g.id = posts.group_id"
    " LEFT JOIN accounts o ON o.id = posts.blog_owner"
    " LEFT JOIN posts root ON root.id = posts.topic_id"
    " LEFT JOIN posts parent ON parent.id = posts.parent_id"
)
VISIBLE_ROOT = "posts.deleted_at IS NULL AND posts.removed_at IS NULL AND posts.state = 'published'"
# The thread a post is in is there for everyone: not deleted, not removed by a moderator, published.
VISIBLE_THREAD = "(root.deleted_at IS NULL AND root.removed_at IS NULL AND root.state = 'published')"


def insert(db: Database, fields: dict[str, Any]) -> int:
    """Insert a post; a root (topic or blog post) becomes its own thread."""
    names = list(fields)
    with db.transaction() as conn:
        cur = conn.execute(
            f"INSERT INTO posts ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [fields[name] for name in names],
        )
        post_id = int(cur.lastrowid or 0)
        if fields.get("topic_id") is None:
            conn.execute("UPDATE posts SET topic_id = id WHERE id = ?", (post_id,))
        else:
            recount(conn, fields["topic_id"])
    return post_id


# A reply others see: not deleted, not removed by a moderator, published.
VISIBLE_REPLY = "r.deleted_at IS NULL AND r.removed_at IS NULL AND r.state = 'published'"


def recount(conn: Any, topic_id: int) -> None:
    """Set a thread's reply count and last activity from its visible replies (one indexed scan of the
    thread): a counter moved up and down by hand drifted when a post was removed and then deleted."""
    conn.execute(
        "UPDATE posts SET"
        f" reply_count = (SELECT count(*) FROM posts r WHERE r.topic_id = posts.id AND r.id != posts.id"
        f" AND {VISIBLE_REPLY}),"
        " last_activity_at = max(coalesce(posts.published_at, posts.created_at),"
        " coalesce((SELECT max(coalesce(r.published_at, r.created_at)) FROM posts r"
        f" WHERE r.topic_id = posts.id AND r.id != posts.id AND {VISIBLE_REPLY}), ''))"
        " WHERE id = ?",
        (topic_id,),
    )


def update(db: Database, post_id: int, fields: dict[str, Any]) -> None:
    names = list(fields)
    db.execute(
        f"UPDATE posts SET {', '.join(f'{name} = ?' for name in names)} WHERE id = ?",
        [fields[name] for name in names] + [post_id],
    )


def summaries_after(db: Database, after_id: int, limit: int) -> list[Row]:
    """Posts by id after after_id with their summary and content (the summary refresh's batches)."""
    return db.all("SELECT id, summary, content FROM posts WHERE id > ? AND summary IS NOT NULL AND content IS NOT NULL"
                  " ORDER BY id LIMIT ?", (after_id, limit))


def set_summaries(db: Database, summaries: list[tuple[int, str]]) -> None:
    with db.transaction() as conn:
        conn.executemany("UPDATE posts SET summary = ? WHERE id = ?", [(text, post_id) for post_id, text in summaries])


def by_id(db: Database, post_id: int) -> Row | None:
    return db.one(f"{SELECT} WHERE posts.id = ?", (post_id,))


# When a post was written: a remote post's own `published`, not when it reached us (a backfilled reply
# arrives after newer ones). Local posts are published when they are created, so their order is unchanged.
WRITTEN = "coalesce(posts.published_at, posts.created_at)"


def thread(db: Database, topic_id: int) -> list[Row]:
    """Every post of a thread, root first, then in the order they were written."""
    return db.all(f"{SELECT} WHERE posts.topic_id = ? ORDER BY posts.id != posts.topic_id, {WRITTEN}, posts.id",
                  (topic_id,))


# The orders of a group's topic list; pinned topics come first in each (newest pin first).
TOPIC_ORDERS = {
    "activity": "posts.last_activity_at DESC, posts.id DESC",
    "new": "posts.created_at DESC, posts.id DESC",
    "replies": "posts.reply_count DESC, posts.last_activity_at DESC, posts.id DESC",
}
IN_GROUP = f"posts.group_id = ? AND posts.kind = 'topic' AND {VISIBLE_ROOT}"


def topics_in_group(db: Database, group_id: int, limit: int = 50, offset: int = 0,
                    order: str = "activity") -> list[Row]:
    return db.all(
        f"{SELECT} WHERE {IN_GROUP}"
        f" ORDER BY posts.pinned_at IS NULL, posts.pinned_at DESC, {TOPIC_ORDERS[order]} LIMIT ? OFFSET ?",
        (group_id, limit, offset),
    )


def count_topics_in_group(db: Database, group_id: int) -> int:
    return int(db.scalar(f"SELECT count(*) FROM posts WHERE {IN_GROUP}", (group_id,)) or 0)


def recent(db: Database, kind: str, limit: int = 10) -> list[Row]:
    order = "posts.published_at" if kind == "blog" else "posts.created_at"
    return db.all(
        f"{SELECT} WHERE posts.kind = ? AND {VISIBLE_ROOT} AND posts.uri IS NULL"
        f" AND (root.id IS NULL OR {VISIBLE_THREAD})"
        f" ORDER BY {order} DESC LIMIT ?",
        (kind, limit),
    )


def _blog_where(owner_id: int | None, include_drafts: bool, members: bool) -> tuple[str, list[Any]]:
    params: list[Any]
    if members:
        owner_clause, params = "posts.blog_owner IS NOT NULL AND posts.uri IS NULL", []
    elif owner_id is None:
        owner_clause, params = "posts.blog_owner IS NULL", []
    else:
        owner_clause, params = "posts.blog_owner = ?", [owner_id]
    state_clause = "posts.deleted_at IS NULL" if include_drafts else VISIBLE_ROOT
    return f"posts.kind = 'blog' AND {owner_clause} AND {state_clause}", params


def blog(db: Database, owner_id: int | None, include_drafts: bool = False, limit: int = 50, offset: int = 0,
         members: bool = False) -> list[Row]:
    """One blog (the organisation's when owner_id is None), or with `members` every member's blog."""
    where, params = _blog_where(owner_id, include_drafts, members)
    return db.all(
        f"{SELECT} WHERE {where}"
        " ORDER BY coalesce(posts.published_at, posts.created_at) DESC, posts.id DESC LIMIT ? OFFSET ?",
        params + [limit, offset],
    )


def count_blog(db: Database, owner_id: int | None, include_drafts: bool = False, members: bool = False) -> int:
    where, params = _blog_where(owner_id, include_drafts, members)
    return int(db.scalar(f"SELECT count(*) FROM posts WHERE {where}", params) or 0)


def by_author(db: Database, author_id: int, limit: int = 20) -> list[Row]:
    return db.all(
        f"{SELECT} WHERE posts.author_id = ? AND {VISIBLE_ROOT}"
        f" AND {VISIBLE_THREAD}"
        " ORDER BY posts.id DESC LIMIT ?",
        (author_id, limit),
    )


TAGGED = f"JOIN post_tags t ON t.post_id = posts.id WHERE t.tag = ? AND {VISIBLE_ROOT} AND {VISIBLE_THREAD}"


def _tagged(tag: str, hidden: Sequence[int]) -> tuple[str, list[object]]:
    """The tag's visible posts; hidden: authors whose posts this viewer does not see."""
    if not hidden:
        return TAGGED, [tag]
    return TAGGED + " AND posts.author_id NOT IN (SELECT value FROM json_each(?))", [tag, json.dumps(list(hidden))]


def by_tag(db: Database, tag: str, limit: int = 50, offset: int = 0, hidden: Sequence[int] = ()) -> list[Row]:
    where, params = _tagged(tag, hidden)
    return db.all(f"{SELECT} {where} ORDER BY posts.id DESC LIMIT ? OFFSET ?", [*params, limit, offset])


def count_by_tag(db: Database, tag: str, hidden: Sequence[int] = ()) -> int:
    where, params = _tagged(tag, hidden)
    return int(db.scalar(f"SELECT count(*) FROM posts LEFT JOIN posts root ON root.id = posts.topic_id {where}",
                         params) or 0)


TAG_AUTHORS_LOOK = 2_000  # posts of a tag whose authors a page view looks at (newest first)


def remote_authors_by_tag(db: Database, tag: str, viewer_uri: str | None, hidden: Sequence[int] = ()) -> list[Row]:
    """The remote authors of the tag's newest visible posts (not those by `hidden` authors), with
    whether the viewer follows them: a bounded look, asked again past the hidden ones."""
    where, params = _tagged(tag, hidden)
    authors = ("SELECT posts.author_id FROM posts LEFT JOIN posts root ON root.id = posts.topic_id"
               f" {where} ORDER BY posts.id DESC LIMIT ?")
    return db.all(accounts.remote_authors_query(authors, "?"), [viewer_uri, *params, TAG_AUTHORS_LOOK])


def by_ids(db: Database, ids: list[int]) -> list[Row]:
    if not ids:
        return []
    return db.all(f"{SELECT} WHERE posts.id IN ({','.join('?' * len(ids))})", ids)


def tags_of(db: Database, post_ids: list[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {post_id: [] for post_id in post_ids}
    if not post_ids:
        return result
    rows = db.all(
        f"SELECT post_id, tag FROM post_tags WHERE post_id IN ({','.join('?' * len(post_ids))})"
        " ORDER BY tag",
        post_ids,
    )
    for row in rows:
        result[row["post_id"]].append(row["tag"])
    return result


def set_tags(db: Database, post_id: int, tags: list[str]) -> None:
    with db.transaction() as conn:
        conn.execute("DELETE FROM post_tags WHERE post_id = ?", (post_id,))
        conn.executemany(
            "INSERT OR IGNORE INTO post_tags (post_id, tag) VALUES (?, ?)", [(post_id, t) for t in tags]
        )


def set_mentions(db: Database, post_id: int, account_ids: list[int]) -> None:
    with db.transaction() as conn:
        conn.execute("DELETE FROM post_mentions WHERE post_id = ?", (post_id,))
        conn.executemany(
            "INSERT OR IGNORE INTO post_mentions (post_id, account_id) VALUES (?, ?)",
            [(post_id, a) for a in account_ids],
        )


def mentioned_ids(db: Database, post_id: int) -> set[int]:
    rows = db.all("SELECT account_id FROM post_mentions WHERE post_id = ?", (post_id,))
    return {row["account_id"] for row in rows}


def add_views(db: Database, counts: dict[int, int]) -> None:
    """Add counted page views in one transaction (they are batched in memory)."""
    with db.transaction(counts=False) as conn:
        conn.executemany("UPDATE posts SET views = views + ? WHERE id = ?",
                         [(n, post_id) for post_id, n in counts.items()])


def like(db: Database, post_id: int, account_id: int, now: str) -> bool:
    """Record a like; False when it already existed."""
    with db.transaction() as conn:
        cur = conn.execute(
            "INSERT OR IGNORE INTO likes (post_id, account_id, created_at) VALUES (?, ?, ?)",
            (post_id, account_id, now),
        )
        if cur.rowcount:
            conn.execute("UPDATE posts SET like_count = like_count + 1 WHERE id = ?", (post_id,))
    return bool(cur.rowcount)


def unlike(db: Database, post_id: int, account_id: int) -> bool:
    """Remove a like; False when there was none."""
    with db.transaction() as conn:
        cur = conn.execute("DELETE FROM likes WHERE post_id = ? AND account_id = ?", (post_id, account_id))
        if cur.rowcount:
            conn.execute("UPDATE posts SET like_count = like_count - 1 WHERE id = ?", (post_id,))
    return bool(cur.rowcount)


def liked_by(db: Database, account_id: int, post_ids: list[int]) -> set[int]:
    if not post_ids:
        return set()
    rows = db.all(
        f"SELECT post_id FROM likes WHERE account_id = ? AND post_id IN ({','.join('?' * len(post_ids))})",
        [account_id] + post_ids,
    )
    return {row["post_id"] for row in rows}


def counts(db: Database) -> dict[str, int]:
    row = db.one(
        "SELECT sum(kind = 'topic') AS topics, sum(kind = 'reply') AS replies,"
        " sum(kind = 'blog') AS blog_posts FROM posts WHERE deleted_at IS NULL AND uri IS NULL"
    )
    return {key: int(row[key] or 0) for key in ("topics", "replies", "blog_posts")} if row else {}


def by_uri(db: Database, uri: str) -> Row | None:
    return db.one(f"{SELECT} WHERE posts.uri = ?", (uri,))


def liker_uris(db: Database, post_id: int) -> list[Row]:
    return db.all(
        "SELECT a.username, a.actor_uri FROM likes JOIN accounts a ON a.id = likes.account_id WHERE post_id = ?",
        (post_id,),
    )


def mentioned_accounts(db: Database, post_id: int) -> list[Row]:
    return db.all(
        "SELECT a.* FROM post_mentions m JOIN accounts a ON a.id = m.account_id"
        " WHERE m.post_id = ?",
        (post_id,),
    )


def liked_by_account(db: Database, account_id: int, limit: int, offset: int = 0) -> list[Row]:
    return db.all(
        f"{SELECT} JOIN likes l ON l.post_id = posts.id WHERE l.account_id = ? ORDER BY l.created_at DESC"
        " LIMIT ? OFFSET ?",
        (account_id, limit, offset),
    )


def author_stats(db: Database, account_id: int) -> tuple[int, str | None]:
    """How many visible posts an author has, and when the last was published."""
    row = db.one("SELECT count(*) AS n, max(published_at) AS last FROM posts WHERE author_id = ?"
                 " AND deleted_at IS NULL AND state = 'published'", (account_id,))
    return (int(row["n"]), row["last"]) if row else (0, None)


def count_in_group(db: Database, group_id: int) -> int:
    return int(db.scalar("SELECT count(*) FROM posts WHERE group_id = ? AND deleted_at IS NULL AND removed_at IS NULL"
                         " AND state = 'published'", (group_id,)) or 0)


def direct_reply_counts(db: Database, post_ids: list[int]) -> dict[int, int]:
    if not post_ids:
        return {}
    rows = db.all(f"SELECT parent_id, count(*) AS n FROM posts WHERE parent_id IN ({','.join('?' * len(post_ids))})"
                  " AND deleted_at IS NULL AND removed_at IS NULL AND state = 'published' GROUP BY parent_id",
                  post_ids)
    return {row["parent_id"]: int(row["n"]) for row in rows}


def count_liked_by(db: Database, account_id: int) -> int:
    return int(db.scalar("SELECT count(*) FROM likes WHERE account_id = ?", (account_id,)) or 0)


def tags_starting(db: Database, prefix: str, limit: int) -> list[str]:
    rows = db.all("SELECT DISTINCT tag FROM post_tags WHERE tag LIKE ? ESCAPE '\\' ORDER BY tag LIMIT ?",
                  (prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", limit))
    return [row["tag"] for row in rows]


def recent_remote_roots(db: Database, limit: int) -> list[Row]:
    """The newest topics and posts that came from other servers (the network page)."""
    return db.all(f"{SELECT} WHERE posts.uri IS NOT NULL AND posts.deleted_at IS NULL AND posts.id = posts.topic_id"
                  " ORDER BY posts.id DESC LIMIT ?", (limit,))


def tombstone(db: Database, post_id: int, now: str) -> None:
    """Empty a post but keep its place; a reply no longer counts among its topic's replies."""
    with db.transaction() as conn:
        row = conn.execute("SELECT kind, topic_id, deleted_at FROM posts WHERE id = ?", (post_id,)).fetchone()
        if row is None or row["deleted_at"]:
            return
        conn.execute("UPDATE posts SET source = '', content = '', summary = '', deleted_at = ? WHERE id = ?",
                     (now, post_id))
        conn.execute("DELETE FROM post_tags WHERE post_id = ?", (post_id,))
        conn.execute("DELETE FROM posts_fts WHERE rowid = ?", (post_id,))
        conn.execute("DELETE FROM post_revisions WHERE post_id = ?", (post_id,))  # the text goes, every version
        if row["topic_id"] != post_id:
            recount(conn, row["topic_id"])


def is_visible(post: Row) -> bool:
    """Published, not deleted, in a published thread that is not deleted (a row from SELECT)."""
    return (post["deleted_at"] is None and post["removed_at"] is None and post["state"] == "published"
            and post["topic_state"] == "published" and post["topic_deleted_at"] is None
            and post["topic_removed_at"] is None)


def remove(db: Database, post_id: int, reason: str, now: str) -> bool:
    """A moderator's removal: the text stays (its author still sees it), the post leaves search and
    counts. False when it was removed or deleted already."""
    with db.transaction() as conn:
        row = conn.execute("SELECT kind, topic_id, deleted_at, removed_at FROM posts WHERE id = ?",
                           (post_id,)).fetchone()
        if row is None or row["deleted_at"] or row["removed_at"]:
            return False
        conn.execute("UPDATE posts SET removed_at = ?, removed_reason = ? WHERE id = ?", (now, reason, post_id))
        conn.execute("DELETE FROM posts_fts WHERE rowid = ?", (post_id,))
        if row["topic_id"] != post_id:
            recount(conn, row["topic_id"])
    return True


def restore(db: Database, post_id: int) -> bool:
    """Undo a removal (the search index is rebuilt by the caller, which knows the plain text)."""
    with db.transaction() as conn:
        row = conn.execute("SELECT kind, topic_id, removed_at FROM posts WHERE id = ?", (post_id,)).fetchone()
        if row is None or not row["removed_at"]:
            return False
        conn.execute("UPDATE posts SET removed_at = NULL, removed_reason = NULL WHERE id = ?", (post_id,))
        if row["topic_id"] != post_id:
            recount(conn, row["topic_id"])
    return True


def set_locked(db: Database, post_id: int, at: str | None) -> None:
    db.execute("UPDATE posts SET locked_at = ? WHERE id = ?", (at, post_id))


def set_pinned(db: Database, post_id: int, at: str | None) -> None:
    db.execute("UPDATE posts SET pinned_at = ? WHERE id = ?", (at, post_id))


def topic_by_context(db: Database, context_uri: str) -> Row | None:
    """The topic (our copy of a remote one) whose thread is this context collection."""
    return db.one(f"{SELECT} WHERE posts.context_uri = ? AND posts.kind = 'topic' ORDER BY posts.id LIMIT 1",
                  (context_uri,))
def in_group_by_author(db: Database, group_id: int, author_id: int) -> list[Row]:
    """An author's posts in a group that everyone still sees (to remove them with a ban), oldest first."""
    return db.all(f"{SELECT} WHERE posts.group_id = ? AND posts.author_id = ? AND posts.deleted_at IS NULL"
                  " AND posts.removed_at IS NULL ORDER BY posts.id", (group_id, author_id))


def by_url(db: Database, url: str) -> Row | None:
    """A copy of another server's post by its id or its page URL."""
    return db.one(f"{SELECT} WHERE posts.uri = ? OR posts.url = ? ORDER BY posts.uri = ? DESC LIMIT 1", (url, url, url))
