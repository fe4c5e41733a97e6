"""Notifications also for follows and shares, which concern no post (post_id may be NULL).

SQLite cannot change a CHECK constraint in place: the table is rebuilt and its rows copied.
"""

from sqlite_utils import Database

STEPS = [
    """CREATE TABLE notifications_new (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        kind TEXT NOT NULL CHECK (kind IN ('mention', 'reply', 'like', 'follow', 'reblog', 'status')),
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
