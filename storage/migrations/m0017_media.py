"""Pictures and documents (issue 11).

- media_files: one row per stored file, named by the SHA-256 of its bytes (the same file twice is
  stored once); the bytes live in the media folder, never in the database.
- media: one use of a file as an attachment: an upload (post_id NULL until a post takes it; pruned
  after media.orphan_hours) or a remote post's attachment (remote_url, fetched through the cache).
  The description is the alt text; focus is Mastodon's focal point (-1..1).
- remote_media: the cache of other servers' images (attachments, avatars, icons), by URL hash; only
  URLs a stored object named are ever fetched, so the node is no open proxy.
- Avatars, headers, group icons and banners: a local file's hash, or a remote URL.
"""

from sqlite_utils import Database

SCHEMA = """
CREATE TABLE media_files (
    hash TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    blurhash TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    post_id INTEGER REFERENCES posts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL,
    media_type TEXT NOT NULL,
    file_hash TEXT REFERENCES media_files(hash),
    preview_hash TEXT REFERENCES media_files(hash),
    remote_url TEXT,
    name TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    focus_x REAL NOT NULL DEFAULT 0,
    focus_y REAL NOT NULL DEFAULT 0,
    width INTEGER,
    height INTEGER,
    blurhash TEXT,
    size INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX media_post ON media(post_id, position);
CREATE INDEX media_orphans ON media(created_at) WHERE post_id IS NULL;
CREATE INDEX media_file ON media(file_hash);
CREATE TABLE remote_media (
    url_hash TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'new',
    file_hash TEXT REFERENCES media_files(hash),
    error TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT,
    fetched_at TEXT,
    last_used_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX remote_media_file ON remote_media(file_hash);
ALTER TABLE accounts ADD COLUMN avatar_hash TEXT;
ALTER TABLE accounts ADD COLUMN header_hash TEXT;
ALTER TABLE accounts ADD COLUMN avatar_url TEXT;
ALTER TABLE accounts ADD COLUMN header_url TEXT;
ALTER TABLE groups ADD COLUMN icon_hash TEXT;
ALTER TABLE groups ADD COLUMN banner_hash TEXT;
ALTER TABLE groups ADD COLUMN icon_url TEXT;
ALTER TABLE groups ADD COLUMN banner_url TEXT
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
