"""Activities we published, kept so their ids answer and outboxes list them."""

from __future__ import annotations

from storage.db import Database, Row


def put(db: Database, *, uri: str, kind: str, actor: str, obj: str | None, body: str, now: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO activities (uri, type, actor, object, body, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (uri, kind, actor, obj, body, now),
    )


def by_uri(db: Database, uri: str) -> Row | None:
    return db.one("SELECT * FROM activities WHERE uri = ?", (uri,))


def of_actor(db: Database, actor: str, limit: int, offset: int = 0) -> list[Row]:
    return db.all(
        "SELECT * FROM activities WHERE actor = ? AND type IN ('Create', 'Announce') ORDER BY id DESC"
        " LIMIT ? OFFSET ?",
        (actor, limit, offset),
    )


def count_of_actor(db: Database, actor: str) -> int:
    return int(db.scalar(
        "SELECT count(*) FROM activities WHERE actor = ? AND type IN ('Create', 'Announce')", (actor,)) or 0)


def delivered_inboxes(db: Database, object_uri: str) -> list[str]:
    """Every inbox that was sent the object: by a Create or Update of it, or a group's Announce of those."""
    rows = db.all(
        "SELECT DISTINCT d.inbox FROM deliveries d JOIN activities a ON a.uri = d.activity_uri"
        " WHERE a.object = ? OR a.object IN (SELECT uri FROM activities WHERE object = ?)",
        (object_uri, object_uri),
    )
    return [row["inbox"] for row in rows]


def about_object(db: Database, object_uri: str) -> list[Row]:
    """Our activities that carry an object: by its id, or wrapping an activity about it (a group's Announce)."""
    return db.all(
        "SELECT * FROM activities WHERE object = ? OR object IN (SELECT uri FROM activities WHERE object = ?)",
        (object_uri, object_uri),
    )


def set_body(db: Database, uri: str, body: str) -> None:
    db.execute("UPDATE activities SET body = ? WHERE uri = ?", (body, uri))


def latest(db: Database, kind: str, actor: str, object_uri: str) -> Row | None:
    """The newest activity of a kind by an actor about an object (e.g. a member's last share of a post)."""
    return db.one("SELECT * FROM activities WHERE type = ? AND actor = ? AND object = ? ORDER BY id DESC LIMIT 1",
                  (kind, actor, object_uri))


def of_kind_about(db: Database, kind: str, object_uri: str) -> list[Row]:
    """Our activities of a kind about an object (by any actor), newest first: the Lock or Block an Undo names."""
    return db.all("SELECT * FROM activities WHERE type = ? AND object = ? ORDER BY id DESC", (kind, object_uri))


def announced_inboxes(db: Database, group_uri: str, object_uri: str) -> list[str]:
    """Every inbox a group of ours passed an object on to inside an Announce of another server's activity
    (Announce(Create(object))): those rows name the remote activity, not the object, so the body tells.
    Only that group's Announces are read (activities_actor); a moderator's removal is rare."""
    rows = db.all(
        "SELECT DISTINCT d.inbox FROM activities a JOIN deliveries d ON d.activity_uri = a.uri"
        " WHERE a.actor = ? AND a.type = 'Announce'"
        " AND (json_extract(a.body, '$.object.object.id') = ? OR json_extract(a.body, '$.object.object') = ?)",
        (group_uri, object_uri, object_uri),
    )
    return [row["inbox"] for row in rows]
