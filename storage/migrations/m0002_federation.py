"""Federation: remote actors, the inbox, our activities, follows and the delivery queue.

Remote people and groups get rows in `accounts` and `groups` (with `domain`
and `actor_uri` set), so threads, likes and pages treat remote and local
authors alike; remote posts get their ActivityPub id in `posts.uri`.
"""

from sqlite_utils import Database

SCHEMA = """
ALTER TABLE accounts ADD COLUMN domain TEXT;
ALTER TABLE accounts ADD COLUMN actor_uri TEXT;
CREATE UNIQUE INDEX accounts_actor_uri ON accounts(actor_uri);
ALTER TABLE groups ADD COLUMN domain TEXT;
ALTER TABLE groups ADD COLUMN actor_uri TEXT;
CREATE UNIQUE INDEX groups_actor_uri ON groups(actor_uri);
ALTER TABLE posts ADD COLUMN uri TEXT;
ALTER TABLE posts ADD COLUMN url TEXT;
CREATE UNIQUE INDEX posts_uri ON posts(uri);

-- Cache of remote actors (people, groups, services), refreshed after a day.
CREATE TABLE actors (
    uri TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    username TEXT NOT NULL DEFAULT '',
    domain TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    followers TEXT,
    url TEXT,
    key_id TEXT,
    public_key_pem TEXT,
    raw TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE INDEX actors_key ON actors(key_id);

-- Every verified activity, stored raw before it is processed (a crash loses nothing).
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    activity_id TEXT NOT NULL UNIQUE,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    processed_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX inbox_pending ON inbox(processed_at, id);

-- Activities we published, served at their ids.
CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    uri TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    object TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX activities_actor ON activities(actor, id);

-- Who follows whom, across servers: follower and followee are actor URIs.
CREATE TABLE follows (
    id INTEGER PRIMARY KEY,
    follower TEXT NOT NULL,
    followee TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    activity_uri TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (follower, followee)
);
CREATE INDEX follows_followee ON follows(followee, state);

-- One row per (activity, target inbox); the worker signs and POSTs, retrying with backoff.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    activity_uri TEXT NOT NULL,
    inbox TEXT NOT NULL,
    domain TEXT NOT NULL,
    signer TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    tries INTEGER NOT NULL DEFAULT 0,
    next_try_at TEXT NOT NULL,
    last_status INTEGER,
    error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT,
    UNIQUE (activity_uri, inbox)
);
CREATE INDEX deliveries_due ON deliveries(state, next_try_at);

-- Servers that keep failing are tried less often, without losing their rows.
CREATE TABLE servers (
    domain TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    unreachable_since TEXT,
    last_success_at TEXT
)
"""


def apply(db: Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
