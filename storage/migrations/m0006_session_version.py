"""A member's sessions carry a version; changing the password raises it and ends the other sessions."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db.execute("ALTER TABLE accounts ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0")
