"""Stored files (by content hash), their uses as attachments, and the cache of remote media.
The bytes themselves are in the media folder (node/services/media_store.py); here only rows."""

from __future__ import annotations

from storage.db import Database, Row

# Files


def put_file(db: Database, *, hash_: str, media_type: str, size: int, width: int | None, height: int | None,
             blurhash: str | None, now: str) -> None:
    """Record a stored file; the same bytes again only renew its grace (unused_files)."""
    db.execute("INSERT INTO media_files (hash, media_type, size, width, height, blurhash, created_at)"
               " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET created_at = excluded.created_at",
               (hash_, media_type, size, width, height, blurhash, now))  # stored again: the grace starts again


def file(db: Database, hash_: str) -> Row | None:
    return db.one("SELECT * FROM media_files WHERE hash = ?", (hash_,))


LOGO = "media.logo"  # the settings key of the organisation's logo (a file hash)

# Every place a file can be used; a file none of them names may go (prune_files).
_FILE_USES = (
    "SELECT file_hash FROM media WHERE file_hash IS NOT NULL",
    "SELECT preview_hash FROM media WHERE preview_hash IS NOT NULL",
    "SELECT file_hash FROM remote_media WHERE file_hash IS NOT NULL",
    "SELECT avatar_hash FROM accounts WHERE avatar_hash IS NOT NULL",
    "SELECT header_hash FROM accounts WHERE header_hash IS NOT NULL",
    "SELECT icon_hash FROM groups WHERE icon_hash IS NOT NULL",
    "SELECT banner_hash FROM groups WHERE banner_hash IS NOT NULL",
    "SELECT value FROM settings WHERE key LIKE 'media.%' AND value != ''",
)


def unused_files(db: Database, older_than: str) -> list[str]:
    """Hashes of files nothing uses, recorded before `older_than` (a file being attached right now
    is recorded a moment before its use: the grace keeps it)."""
    rows = db.all(f"SELECT hash FROM media_files WHERE created_at < ? AND hash NOT IN ({' UNION '.join(_FILE_USES)})",
                  (older_than,))
    return [row["hash"] for row in rows]


def forget_files(db: Database, hashes: list[str]) -> None:
    for hash_ in hashes:
        db.execute("DELETE FROM media_files WHERE hash = ?", (hash_,))


def all_file_hashes(db: Database) -> list[str]:
    return [row["hash"] for row in db.all("SELECT hash FROM media_files ORDER BY hash")]


# Attachments


def add(db: Database, *, account_id: int | None, kind: str, media_type: str, file_hash: str | None,
        preview_hash: str | None, name: str, description: str, width: int | None, height: int | None,
        blurhash: str | None, size: int | None, now: str, post_id: int | None = None, position: int = 0,
        remote_url: str | None = None) -> int:
    cur = db.execute(
        "INSERT INTO media (account_id, post_id, position, kind, media_type, file_hash, preview_hash, remote_url,"
        " name, description, width, height, blurhash, size, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account_id, post_id, position, kind, media_type, file_hash, preview_hash, remote_url, name, description,
         width, height, blurhash, size, now))
    return int(cur.lastrowid or 0)


def by_id(db: Database, media_id: int) -> Row | None:
    return db.one("SELECT * FROM media WHERE id = ?", (media_id,))


def describe(db: Database, media_id: int, description: str, focus_x: float, focus_y: float) -> None:
    db.execute("UPDATE media SET description = ?, focus_x = ?, focus_y = ? WHERE id = ?",
               (description, focus_x, focus_y, media_id))


def attach(db: Database, media_id: int, post_id: int, position: int) -> None:
    db.execute("UPDATE media SET post_id = ?, position = ? WHERE id = ?", (post_id, position, media_id))


def detach_others(db: Database, post_id: int, keep: list[int]) -> None:
    """An edit: the post's attachments not kept are deleted (their files go once unused)."""
    marks = ",".join("?" * len(keep))
    condition = f" AND id NOT IN ({marks})" if keep else ""
    db.execute(f"DELETE FROM media WHERE post_id = ?{condition}", (post_id, *keep))


def of_post(db: Database, post_id: int) -> list[Row]:
    return db.all("SELECT * FROM media WHERE post_id = ? ORDER BY position, id", (post_id,))


def of_posts(db: Database, post_ids: list[int]) -> dict[int, list[Row]]:
    """The attachments of many posts at once (a thread page: one query)."""
    found: dict[int, list[Row]] = {}
    for start in range(0, len(post_ids), 500):
        chunk = post_ids[start:start + 500]
        rows = db.all(f"SELECT * FROM media WHERE post_id IN ({','.join('?' * len(chunk))})"
                      " ORDER BY post_id, position, id", chunk)
        for row in rows:
            found.setdefault(int(row["post_id"]), []).append(row)
    return found


def delete_for_post(db: Database, post_id: int) -> None:
    db.execute("DELETE FROM media WHERE post_id = ?", (post_id,))


def delete_remote_for_post(db: Database, post_id: int) -> None:
    """A remote post's attachments (they name URLs, no files of ours)."""
    db.execute("DELETE FROM media WHERE post_id = ? AND remote_url IS NOT NULL AND file_hash IS NULL", (post_id,))


def prune_orphans(db: Database, created_before: str) -> int:
    """Uploads never attached to a post, older than the grace."""
    cur = db.execute("DELETE FROM media WHERE post_id IS NULL AND remote_url IS NULL AND created_at < ?",
                     (created_before,))
    return int(cur.rowcount)


# Remote media: what other servers' objects name, and what we hold of it


def register_remote(db: Database, url_hash: str, url: str, now: str) -> None:
    db.execute("INSERT OR IGNORE INTO remote_media (url_hash, url, created_at) VALUES (?, ?, ?)",
               (url_hash, url, now))


def remote(db: Database, url_hash: str) -> Row | None:
    return db.one("SELECT * FROM remote_media WHERE url_hash = ?", (url_hash,))


def remote_kinds(db: Database, url: str) -> set[str]:
    """What remote posts name this URL as (image, document); empty for an actor's image only."""
    return {row["kind"] for row in db.all("SELECT DISTINCT kind FROM media WHERE remote_url = ?", (url,))}


def remote_fetched(db: Database, url_hash: str, file_hash: str, now: str) -> None:
    db.execute("UPDATE remote_media SET state = 'cached', file_hash = ?, error = '', attempts = 0, next_try_at = NULL,"
               " fetched_at = ?, last_used_at = ? WHERE url_hash = ?", (file_hash, now, now, url_hash))


def remote_failed(db: Database, url_hash: str, error: str, next_try_at: str) -> None:
    """A failed fetch: tried again after next_try_at; a copy already cached stays in use."""
    db.execute("UPDATE remote_media SET error = ?, attempts = attempts + 1, next_try_at = ?,"
               " state = CASE WHEN file_hash IS NULL THEN 'failed' ELSE state END WHERE url_hash = ?",
               (error[:300], next_try_at, url_hash))


def remote_used(db: Database, url_hash: str, now: str) -> None:
    db.execute("UPDATE remote_media SET last_used_at = ? WHERE url_hash = ?", (now, url_hash))


def drop_remote_copies(db: Database, *, unused_before: str, over_bytes: int) -> int:
    """Forget cached copies not viewed since `unused_before`, then the least recently viewed ones
    while the cache is over `over_bytes`; the URLs stay known (fetched again when viewed)."""
    cur = db.execute("UPDATE remote_media SET state = 'new', file_hash = NULL WHERE file_hash IS NOT NULL"
                     " AND coalesce(last_used_at, fetched_at) < ?", (unused_before,))
    dropped = int(cur.rowcount)
    total = int(db.scalar("SELECT coalesce(sum(f.size), 0) FROM remote_media r JOIN media_files f"
                          " ON f.hash = r.file_hash") or 0)
    if total <= over_bytes:
        return dropped
    rows = db.all("SELECT r.url_hash, f.size FROM remote_media r JOIN media_files f ON f.hash = r.file_hash"
                  " ORDER BY coalesce(r.last_used_at, r.fetched_at)")
    for row in rows:
        if total <= over_bytes:
            break
        db.execute("UPDATE remote_media SET state = 'new', file_hash = NULL WHERE url_hash = ?", (row["url_hash"],))
        total -= int(row["size"])
        dropped += 1
    return dropped


def remote_cache_bytes(db: Database) -> int:
    return int(db.scalar("SELECT coalesce(sum(f.size), 0) FROM remote_media r JOIN media_files f"
                         " ON f.hash = r.file_hash") or 0)


# Images of accounts and groups


def set_account_image(db: Database, account_id: int, which: str, file_hash: str | None) -> None:
    column = {"avatar": "avatar_hash", "header": "header_hash"}[which]
    db.execute(f"UPDATE accounts SET {column} = ? WHERE id = ?", (file_hash, account_id))


def set_group_image(db: Database, group_id: int, which: str, file_hash: str | None) -> None:
    column = {"icon": "icon_hash", "banner": "banner_hash"}[which]
    db.execute(f"UPDATE groups SET {column} = ? WHERE id = ?", (file_hash, group_id))


def set_remote_account_images(db: Database, account_id: int, avatar_url: str | None, header_url: str | None) -> None:
    db.execute("UPDATE accounts SET avatar_url = ?, header_url = ? WHERE id = ?", (avatar_url, header_url, account_id))


def set_remote_group_images(db: Database, group_id: int, icon_url: str | None, banner_url: str | None) -> None:
    db.execute("UPDATE groups SET icon_url = ?, banner_url = ? WHERE id = ?", (icon_url, banner_url, group_id))


def forget_account_media(db: Database, account_id: int) -> list[str]:
    """A deleted member: their uploads not in a post go and their avatar and header are cleared;
    returns the file hashes they used (released once nothing else uses them)."""
    rows = db.all("SELECT file_hash, preview_hash FROM media WHERE account_id = ? AND post_id IS NULL", (account_id,))
    images = db.one("SELECT avatar_hash, header_hash FROM accounts WHERE id = ?", (account_id,))
    db.execute("DELETE FROM media WHERE account_id = ? AND post_id IS NULL", (account_id,))
    db.execute("UPDATE accounts SET avatar_hash = NULL, header_hash = NULL WHERE id = ?", (account_id,))
    named = [h for row in rows for h in (row["file_hash"], row["preview_hash"])]
    named += [images["avatar_hash"], images["header_hash"]] if images is not None else []
    return [h for h in named if h]
