"""Discussion groups (themes) and who follows them."""

from __future__ import annotations

from storage.db import Database, Row


def create(db: Database, *, slug: str, name: str, description: str, created_by: int | None, now: str) -> int:
    cur = db.execute(
        "INSERT INTO groups (slug, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
        (slug, name, description, created_by, now),
    )
    return int(cur.lastrowid or 0)


def by_slug(db: Database, slug: str) -> Row | None:
    return db.one("SELECT * FROM groups WHERE slug = ?", (slug,))


def by_id(db: Database, group_id: int) -> Row | None:
    return db.one("SELECT * FROM groups WHERE id = ?", (group_id,))


def listing(db: Database, limit: int = -1, offset: int = 0) -> list[Row]:
    """Our own groups by name (a limit of -1: all of them)."""
    return db.all(
        "SELECT groups.*,"
        " (SELECT count(*) FROM group_follows f WHERE f.group_id = groups.id) AS followers,"
        " (SELECT count(*) FROM posts p WHERE p.group_id = groups.id AND p.kind = 'topic'"
        "  AND p.deleted_at IS NULL AND p.removed_at IS NULL AND p.state = 'published') AS topics"
        " FROM groups WHERE domain IS NULL ORDER BY name COLLATE NOCASE, id LIMIT ? OFFSET ?",
        (limit, offset),
    )


def count_local(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM groups WHERE domain IS NULL") or 0)


def update(db: Database, group_id: int, name: str, description: str) -> None:
    db.execute("UPDATE groups SET name = ?, description = ? WHERE id = ?", (name, description, group_id))


def follow(db: Database, group_id: int, account_id: int, now: str) -> None:
    db.execute(
        "INSERT OR IGNORE INTO group_follows (group_id, account_id, created_at) VALUES (?, ?, ?)",
        (group_id, account_id, now),
    )


def unfollow(db: Database, group_id: int, account_id: int) -> None:
    db.execute("DELETE FROM group_follows WHERE group_id = ? AND account_id = ?", (group_id, account_id))


def follows(db: Database, group_id: int, account_id: int) -> bool:
    return db.one(
        "SELECT 1 FROM group_follows WHERE group_id = ? AND account_id = ?", (group_id, account_id)
    ) is not None


def followed_by(db: Database, account_id: int) -> list[Row]:
    return db.all(
        "SELECT groups.* FROM groups JOIN group_follows f ON f.group_id = groups.id"
        " WHERE f.account_id = ? ORDER BY groups.name COLLATE NOCASE",
        (account_id,),
    )


def local_by_slug(db: Database, slug: str) -> Row | None:
    return db.one("SELECT * FROM groups WHERE slug = ? AND domain IS NULL", (slug,))


def by_actor_uri(db: Database, uri: str) -> Row | None:
    return db.one("SELECT * FROM groups WHERE actor_uri = ?", (uri,))


def upsert_remote(db: Database, *, uri: str, handle: str, domain: str, name: str, description: str,
                  now: str) -> int:
    """The local row that stands for a remote group; returns its id."""
    existing = by_actor_uri(db, uri)
    if existing is not None:
        if (existing["name"], existing["description"]) != (name, description):  # a commit only for news
            db.execute("UPDATE groups SET name = ?, description = ? WHERE id = ?",
                       (name, description, existing["id"]))
        return int(existing["id"])
    cur = db.execute(
        "INSERT INTO groups (slug, name, description, created_at, domain, actor_uri) VALUES (?, ?, ?, ?, ?, ?)",
        (handle, name, description, now, domain, uri),
    )
    return int(cur.lastrowid or 0)


def remote_followed_by(db: Database, account_id: int) -> list[Row]:
    return db.all(
        "SELECT groups.* FROM groups JOIN group_follows f ON f.group_id = groups.id"
        " WHERE f.account_id = ? AND groups.domain IS NOT NULL ORDER BY groups.name COLLATE NOCASE",
        (account_id,),
    )


def count_followed_by(db: Database, account_id: int) -> int:
    return int(db.scalar("SELECT count(*) FROM group_follows WHERE account_id = ?", (account_id,)) or 0)


def count_local_followers(db: Database, group_id: int) -> int:
    return int(db.scalar("SELECT count(*) FROM group_follows WHERE group_id = ?", (group_id,)) or 0)


def local_follower_usernames(db: Database, group_id: int) -> list[str]:
    rows = db.all("SELECT a.username FROM group_follows f JOIN accounts a ON a.id = f.account_id"
                  " WHERE f.group_id = ? AND a.domain IS NULL ORDER BY f.created_at", (group_id,))
    return [row["username"] for row in rows]


# Moderators of one group (besides the node's moderators and admins, who moderate every local group).

def add_moderator(db: Database, group_id: int, account_id: int, added_by: int | None, now: str) -> bool:
    """True when the account was not a moderator of the group yet."""
    cur = db.execute("INSERT OR IGNORE INTO group_moderators (group_id, account_id, added_by, created_at)"
                     " VALUES (?, ?, ?, ?)", (group_id, account_id, added_by, now))
    return cur.rowcount > 0


def remove_moderator(db: Database, group_id: int, account_id: int) -> bool:
    cur = db.execute("DELETE FROM group_moderators WHERE group_id = ? AND account_id = ?", (group_id, account_id))
    return cur.rowcount > 0


def is_moderator(db: Database, group_id: int, account_id: int) -> bool:
    return db.one("SELECT 1 FROM group_moderators WHERE group_id = ? AND account_id = ?",
                  (group_id, account_id)) is not None


def moderators(db: Database, group_id: int) -> list[Row]:
    """The group's own moderators, local and remote, as account rows, oldest first."""
    return db.all("SELECT a.* FROM group_moderators m JOIN accounts a ON a.id = m.account_id"
                  " WHERE m.group_id = ? ORDER BY m.created_at, a.id", (group_id,))


def moderated_by(db: Database, account_id: int) -> list[Row]:
    return db.all("SELECT g.* FROM group_moderators m JOIN groups g ON g.id = m.group_id"
                  " WHERE m.account_id = ? ORDER BY g.name COLLATE NOCASE", (account_id,))


def ban(db: Database, group_id: int, account_id: int, *, reason: str, banned_by: int | None, now: str,
        expires_at: str | None) -> None:
    db.execute("INSERT INTO group_bans (group_id, account_id, reason, banned_by, created_at, expires_at)"
               " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, account_id) DO UPDATE SET"
               " reason = excluded.reason, banned_by = excluded.banned_by, created_at = excluded.created_at,"
               " expires_at = excluded.expires_at", (group_id, account_id, reason, banned_by, now, expires_at))


def unban(db: Database, group_id: int, account_id: int) -> bool:
    cur = db.execute("DELETE FROM group_bans WHERE group_id = ? AND account_id = ?", (group_id, account_id))
    return cur.rowcount > 0


def active_ban(db: Database, group_id: int, account_id: int, now: str) -> Row | None:
    """The account's ban from the group, unless it has expired (ISO times compare as text)."""
    return db.one("SELECT * FROM group_bans WHERE group_id = ? AND account_id = ?"
                  " AND (expires_at IS NULL OR expires_at > ?)", (group_id, account_id, now))


def bans(db: Database, group_id: int) -> list[Row]:
    return db.all("SELECT b.*, a.username, a.domain, a.display_name, a.actor_uri FROM group_bans b"
                  " JOIN accounts a ON a.id = b.account_id WHERE b.group_id = ? ORDER BY b.created_at DESC",
                  (group_id,))


def local_names(db: Database) -> list[str]:
    """Every local group's slug and name (to tell look-alike names apart)."""
    rows = db.all("SELECT slug, name FROM groups WHERE domain IS NULL")
    return [name for row in rows for name in (row["slug"], row["name"]) if name]
