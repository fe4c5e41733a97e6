"""The first schema: accounts, groups, posts, tags, likes, notifications, search."""

from sqlite_utils import Database

SCHEMA = """
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'admin')),
    display_name TEXT NOT NULL DEFAULT '',
    job_title TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    about TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by INTEGER REFERENCES accounts(id),
    used_at TEXT
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE keys (
    owner TEXT PRIMARY KEY,
    public_pem TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by INTEGER REFERENCES accounts(id),
    created_at TEXT NOT NULL
);

CREATE TABLE group_follows (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (group_id, account_id)
);

-- One table for every post: a topic's opening post, a reply, a blog post.
-- topic_id is the root of the thread (a topic or a blog post); for a root it
-- is its own id. blog_owner is NULL for the organisation's blog.
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('topic', 'reply', 'blog')),
    group_id INTEGER REFERENCES groups(id),
    blog_owner INTEGER REFERENCES accounts(id),
    author_id INTEGER NOT NULL REFERENCES accounts(id),
    topic_id INTEGER REFERENCES posts(id),
    parent_id INTEGER REFERENCES posts(id),
    title TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'nl',
    state TEXT NOT NULL DEFAULT 'published' CHECK (state IN ('published', 'draft')),
    created_at TEXT NOT NULL,
    published_at TEXT,
    edited_at TEXT,
    deleted_at TEXT,
    last_activity_at TEXT NOT NULL,
    views INTEGER NOT NULL DEFAULT 0,
    reply_count INTEGER NOT NULL DEFAULT 0,
    like_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX posts_topic ON posts(topic_id, id);
CREATE INDEX posts_group ON posts(group_id, kind, last_activity_at);
CREATE INDEX posts_blog ON posts(kind, blog_owner, published_at);
CREATE INDEX posts_recent ON posts(kind, created_at);

CREATE TABLE post_tags (
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (post_id, tag)
);
CREATE INDEX post_tags_tag ON post_tags(tag, post_id);

CREATE TABLE post_mentions (
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    PRIMARY KEY (post_id, account_id)
);

CREATE TABLE likes (
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (post_id, account_id)
);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    kind TEXT NOT NULL CHECK (kind IN ('mention', 'reply', 'like')),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    from_account INTEGER NOT NULL REFERENCES accounts(id),
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notifications_account ON notifications(account_id, id);

-- Full-text search; rowid = posts.id. Diacritics folded: "cooperatie" finds "coöperatie".
CREATE VIRTUAL TABLE posts_fts USING fts5(
    title, body, tags, tokenize = 'unicode61 remove_diacritics 2'
);
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
