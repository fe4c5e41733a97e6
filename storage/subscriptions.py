"""Topic and tag subscriptions: who follows or mutes a topic, who follows a tag."""

from __future__ import annotations

from storage.db import Database, Row

FOLLOW, MUTE = "follow", "mute"


def topic_level(db: Database, account_id: int, topic_id: int) -> str | None:
    value = db.scalar("SELECT level FROM topic_subscriptions WHERE account_id = ? AND topic_id = ?",
                      (account_id, topic_id))
    return str(value) if value is not None else None


def set_topic(db: Database, account_id: int, topic_id: int, level: str, now: str) -> None:
    db.execute(
        "INSERT INTO topic_subscriptions (account_id, topic_id, level, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (account_id, topic_id) DO UPDATE SET level = excluded.level, created_at = excluded.created_at",
        (account_id, topic_id, level, now),
    )


def follow_unless_set(db: Database, account_id: int, topic_id: int, now: str) -> None:
    """The automatic follow of a topic one starts or replies in: a mute (or an earlier follow) stays."""
    db.execute("INSERT OR IGNORE INTO topic_subscriptions (account_id, topic_id, level, created_at)"
               " VALUES (?, ?, 'follow', ?)", (account_id, topic_id, now))


def clear_topic(db: Database, account_id: int, topic_id: int) -> None:
    db.execute("DELETE FROM topic_subscriptions WHERE account_id = ? AND topic_id = ?", (account_id, topic_id))


def topic_followers(db: Database, topic_id: int) -> list[int]:
    return [int(r["account_id"]) for r in db.all(
        "SELECT account_id FROM topic_subscriptions WHERE topic_id = ? AND level = 'follow' ORDER BY account_id",
        (topic_id,))]


def muted_by(db: Database, topic_id: int) -> set[int]:
    return {int(r["account_id"]) for r in db.all(
        "SELECT account_id FROM topic_subscriptions WHERE topic_id = ? AND level = 'mute'", (topic_id,))}


def is_muted(db: Database, account_id: int, post_id: int) -> bool:
    """Whether the member muted the topic this post belongs to."""
    return db.scalar(
        "SELECT 1 FROM topic_subscriptions s JOIN posts p ON p.topic_id = s.topic_id"
        " WHERE p.id = ? AND s.account_id = ? AND s.level = 'mute'", (post_id, account_id)) is not None


def tag_followers(db: Database, tags: list[str]) -> list[int]:
    if not tags:
        return []
    return [int(r["account_id"]) for r in db.all(
        f"SELECT DISTINCT account_id FROM tag_subscriptions WHERE tag IN ({','.join('?' * len(tags))})"
        " ORDER BY account_id", tags)]


def follows_tag(db: Database, account_id: int, tag: str) -> bool:
    return db.scalar("SELECT 1 FROM tag_subscriptions WHERE account_id = ? AND tag = ?",
                     (account_id, tag)) is not None


def follow_tag(db: Database, account_id: int, tag: str, now: str) -> None:
    db.execute("INSERT OR IGNORE INTO tag_subscriptions (account_id, tag, created_at) VALUES (?, ?, ?)",
               (account_id, tag, now))


def unfollow_tag(db: Database, account_id: int, tag: str) -> None:
    db.execute("DELETE FROM tag_subscriptions WHERE account_id = ? AND tag = ?", (account_id, tag))


def topics_of(db: Database, account_id: int, limit: int = 200) -> list[Row]:
    """A member's followed and muted topics (with what a link to them needs), newest choice first."""
    return db.all(
        "SELECT s.level, s.topic_id, s.created_at, p.title, p.kind, p.id, p.topic_id AS root_id,"
        " g.slug AS group_slug, o.username AS blog_owner_username"
        " FROM topic_subscriptions s JOIN posts p ON p.id = s.topic_id"
        " LEFT JOIN groups g ON g.id = p.group_id LEFT JOIN accounts o ON o.id = p.blog_owner"
        " WHERE s.account_id = ? AND p.deleted_at IS NULL AND p.removed_at IS NULL"
        " ORDER BY s.created_at DESC, s.topic_id DESC LIMIT ?",
        (account_id, limit),
    )


def tags_of(db: Database, account_id: int) -> list[str]:
    return [str(r["tag"]) for r in db.all(
        "SELECT tag FROM tag_subscriptions WHERE account_id = ? ORDER BY tag", (account_id,))]


def forget_account(db: Database, account_id: int) -> None:
    db.execute("DELETE FROM topic_subscriptions WHERE account_id = ?", (account_id,))
    db.execute("DELETE FROM tag_subscriptions WHERE account_id = ?", (account_id,))
