"""Drafts of topics and replies, and the revisions of edited posts (migration 0020)."""

from __future__ import annotations

from storage.db import Database, Row

DRAFT_SELECT = (
    "SELECT d.*, g.slug AS group_slug, g.name AS group_name,"
    " p.topic_id AS parent_topic_id, pa.display_name AS parent_author_name, root.title AS parent_topic_title"
    " FROM post_drafts d"
    " LEFT JOIN groups g ON g.id = d.group_id"
    " LEFT JOIN posts p ON p.id = d.parent_id"
    " LEFT JOIN accounts pa ON pa.id = p.author_id"
    " LEFT JOIN posts root ON root.id = p.topic_id"
)


def draft(db: Database, account_id: int, *, group_id: int | None = None, parent_id: int | None = None) -> Row | None:
    if group_id is not None:
        return db.one(f"{DRAFT_SELECT} WHERE d.account_id = ? AND d.group_id = ?", (account_id, group_id))
    return db.one(f"{DRAFT_SELECT} WHERE d.account_id = ? AND d.parent_id = ?", (account_id, parent_id))


def draft_by_id(db: Database, draft_id: int) -> Row | None:
    return db.one(f"{DRAFT_SELECT} WHERE d.id = ?", (draft_id,))


def drafts_of(db: Database, account_id: int) -> list[Row]:
    return db.all(f"{DRAFT_SELECT} WHERE d.account_id = ? ORDER BY d.updated_at DESC, d.id DESC", (account_id,))


def draft_count(db: Database, account_id: int) -> int:
    return int(db.scalar("SELECT count(*) FROM post_drafts WHERE account_id = ?", (account_id,)) or 0)


def save_draft(db: Database, account_id: int, group_id: int | None, parent_id: int | None, title: str,
               source: str, now: str) -> None:
    # counts=False: only the member sees a draft, so the visitors' cached pages stay valid
    with db.transaction(counts=False) as conn:
        place = "group_id = ?" if group_id is not None else "parent_id = ?"
        found = conn.execute(f"SELECT id FROM post_drafts WHERE account_id = ? AND {place}",
                             (account_id, group_id if group_id is not None else parent_id)).fetchone()
        if found is not None:
            conn.execute("UPDATE post_drafts SET title = ?, source = ?, updated_at = ? WHERE id = ?",
                         (title, source, now, found["id"]))
        else:
            conn.execute("INSERT INTO post_drafts (account_id, group_id, parent_id, title, source, updated_at)"
                         " VALUES (?, ?, ?, ?, ?, ?)", (account_id, group_id, parent_id, title, source, now))


def delete_draft(db: Database, account_id: int, *, group_id: int | None = None, parent_id: int | None = None,
                 draft_id: int | None = None) -> None:
    value: int | None
    if draft_id is not None:
        where, value = "id = ?", draft_id
    elif group_id is not None:
        where, value = "group_id = ?", group_id
    else:
        where, value = "parent_id = ?", parent_id
    with db.transaction(counts=False) as conn:
        conn.execute(f"DELETE FROM post_drafts WHERE account_id = ? AND {where}", (account_id, value))


def delete_drafts_of(db: Database, account_id: int) -> None:
    db.execute("DELETE FROM post_drafts WHERE account_id = ?", (account_id,))


def add_revision(db: Database, post: Row, editor_id: int | None, now: str, keep: int) -> None:
    """The post as it was before this edit (`now`: when it was replaced); only the newest `keep`
    revisions of a post stay, besides a redaction's trace (`redacted = 1`), which always stays: it is
    what says that a moderator withdrew the earliest versions."""
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO post_revisions (post_id, title, source, content, editor_id, written_at, replaced_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (post["id"], post["title"], post["source"], post["content"], editor_id,
             post["edited_at"] or post["published_at"] or post["created_at"], now))
        conn.execute(
            "DELETE FROM post_revisions WHERE post_id = ? AND redacted = 0 AND id NOT IN"
            " (SELECT id FROM post_revisions WHERE post_id = ? AND redacted = 0 ORDER BY id DESC LIMIT ?)",
            (post["id"], post["id"], keep))


def redact_revisions(db: Database, post: Row, editor_id: int, now: str) -> None:
    """A redaction: every earlier version goes, one row without text stands for them all (written
    when the post was first published, replaced `now` by the moderator `editor_id`)."""
    with db.transaction() as conn:
        conn.execute("DELETE FROM post_revisions WHERE post_id = ?", (post["id"],))
        conn.execute(
            "INSERT INTO post_revisions (post_id, title, source, content, editor_id, written_at, replaced_at,"
            " redacted) VALUES (?, NULL, '', '', ?, ?, ?, 1)",
            (post["id"], editor_id, post["published_at"] or post["created_at"], now))


def revisions(db: Database, post_id: int) -> list[Row]:
    """Oldest first, with the name of whoever made the change that replaced each."""
    return db.all(
        "SELECT r.*, a.display_name AS editor_name, a.username AS editor_username, a.role AS editor_role"
        " FROM post_revisions r"
        " LEFT JOIN accounts a ON a.id = r.editor_id WHERE r.post_id = ? ORDER BY r.id", (post_id,))

