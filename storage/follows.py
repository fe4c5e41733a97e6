"""Follows across servers: follower and followee are actor URIs (ours or remote)."""

from __future__ import annotations

from storage.db import Database, Row


def put(db: Database, follower: str, followee: str, state: str, activity_uri: str | None, now: str) -> None:
    db.execute(
        "INSERT INTO follows (follower, followee, state, activity_uri, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(follower, followee) DO UPDATE SET state = excluded.state,"
        " activity_uri = coalesce(excluded.activity_uri, follows.activity_uri)",
        (follower, followee, state, activity_uri, now),
    )


def get(db: Database, follower: str, followee: str) -> Row | None:
    return db.one("SELECT * FROM follows WHERE follower = ? AND followee = ?", (follower, followee))


def by_activity(db: Database, activity_uri: str) -> Row | None:
    return db.one("SELECT * FROM follows WHERE activity_uri = ?", (activity_uri,))


def accept(db: Database, follower: str, followee: str) -> None:
    db.execute("UPDATE follows SET state = 'accepted' WHERE follower = ? AND followee = ?", (follower, followee))


def remove(db: Database, follower: str, followee: str) -> None:
    db.execute("DELETE FROM follows WHERE follower = ? AND followee = ?", (follower, followee))


def followers(db: Database, followee: str, limit: int = 10_000_000, offset: int = 0) -> list[str]:
    rows = db.all(
        "SELECT follower FROM follows WHERE followee = ? AND state = 'accepted' ORDER BY id LIMIT ? OFFSET ?",
        (followee, limit, offset),
    )
    return [row["follower"] for row in rows]


def following(db: Database, follower: str, limit: int = 10_000_000, offset: int = 0) -> list[str]:
    rows = db.all(
        "SELECT followee FROM follows WHERE follower = ? AND state = 'accepted' ORDER BY id LIMIT ? OFFSET ?",
        (follower, limit, offset),
    )
    return [row["followee"] for row in rows]


def count_followers(db: Database, followee: str) -> int:
    return int(db.scalar("SELECT count(*) FROM follows WHERE followee = ? AND state = 'accepted'", (followee,)) or 0)


def count_following(db: Database, follower: str) -> int:
    return int(db.scalar("SELECT count(*) FROM follows WHERE follower = ? AND state = 'accepted'", (follower,)) or 0)


def follower_inboxes(db: Database, followee: str) -> list[Row]:
    """Inboxes of a followee's remote followers, with their shared inboxes, from the actor cache."""
    return db.all(
        "SELECT actors.inbox, actors.shared_inbox FROM follows JOIN actors ON actors.uri = follows.follower"
        " WHERE follows.followee = ? AND follows.state = 'accepted'",
        (followee,),
    )


def count_following_groups(db: Database, follower: str) -> int:
    """Follows of groups elsewhere (also counted among the member's followed groups)."""
    return int(db.scalar("SELECT count(*) FROM follows f JOIN groups g ON g.actor_uri = f.followee"
                         " WHERE f.follower = ?", (follower,)) or 0)


def followed_actors(db: Database, follower: str) -> list[Row]:
    """The remote actors someone follows, with the state of each follow."""
    return db.all("SELECT follows.state, actors.* FROM follows JOIN actors ON actors.uri = follows.followee"
                  " WHERE follows.follower = ? ORDER BY actors.name COLLATE NOCASE", (follower,))


def followed_here(db: Database, actor: str, base: str) -> bool:
    """Whether any of our members follows this (remote) actor."""
    return db.one("SELECT 1 FROM follows WHERE followee = ? AND follower LIKE ? AND state = 'accepted'",
                  (actor, base + "/users/%")) is not None


def set_notify(db: Database, follower: str, followee: str, notify: bool) -> None:
    db.execute("UPDATE follows SET notify = ? WHERE follower = ? AND followee = ?", (int(notify), follower, followee))


def members_to_notify(db: Database, followee: str, base: str) -> list[str]:
    """User names of our members who asked to be told of the followee's new posts."""
    rows = db.all("SELECT follower FROM follows WHERE followee = ? AND notify = 1 AND state = 'accepted'"
                  " AND follower LIKE ?", (followee, base + "/users/%"))
    return [row["follower"].removeprefix(base + "/users/") for row in rows]
