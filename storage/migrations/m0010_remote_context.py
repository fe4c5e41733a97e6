"""A remote post's own thread context (FEP-7888), so our replies in a remote thread name that thread."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db.execute("ALTER TABLE posts ADD COLUMN context_uri TEXT")
