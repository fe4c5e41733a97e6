"""Subscriptions (issue 12): a member follows or mutes a single topic, and follows tags.

- topic_subscriptions: one row per (member, topic); level 'follow' (told of every new post in it)
  or 'mute' (told of nothing from it at all). Indexed by topic for "who follows topic X".
- tag_subscriptions: one row per (member, tag); told of every new post carrying the tag.
- notifications learn two kinds, 'topic_reply' and 'tag_post'. SQLite cannot change a CHECK
  constraint in place: the table is rebuilt and its rows copied (as in 0004).
"""

from sqlite_utils import Database

STEPS = [
    """CREATE TABLE topic_subscriptions (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        topic_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
        level TEXT NOT NULL CHECK (level IN ('follow', 'mute')),
        created_at TEXT NOT NULL,
        PRIMARY KEY (account_id, topic_id)
    )""",
    "CREATE INDEX topic_subscriptions_topic ON topic_subscriptions(topic_id, level)",
    """CREATE TABLE tag_subscriptions (
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (account_id, tag)
    )""",
    "CREATE INDEX tag_subscriptions_tag ON tag_subscriptions(tag)",
    """CREATE TABLE notifications_new (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        kind TEXT NOT NULL CHECK (kind IN ('mention', 'reply', 'like', 'follow', 'reblog', 'status',
                                           'topic_reply', 'tag_post')),
        post_id INTEGER REFERENCES posts(id),
        from_account INTEGER NOT NULL REFERENCES accounts(id),
        created_at TEXT NOT NULL,
        read_at TEXT
    )""",
    "INSERT INTO notifications_new SELECT id, account_id, kind, post_id, from_account, created_at, read_at"
    " FROM notifications",
    "DROP TABLE notifications",
    "ALTER TABLE notifications_new RENAME TO notifications",
    "CREATE INDEX notifications_account ON notifications(account_id, id)",
]


def apply(db: Database) -> None:
    for step in STEPS:
        db.execute(step)
