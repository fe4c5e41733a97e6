"""Inbox rows that failed are tried again later, with growing waits, instead of at once."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db.execute("ALTER TABLE inbox ADD COLUMN next_try_at TEXT")
