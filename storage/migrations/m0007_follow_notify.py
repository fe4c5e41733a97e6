"""A follower may ask to be told of every new post (Mastodon's bell: follow with notify=true)."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db.execute("ALTER TABLE follows ADD COLUMN notify INTEGER NOT NULL DEFAULT 0")
