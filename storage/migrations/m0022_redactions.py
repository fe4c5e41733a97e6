"""Redactions in the edit history (issue 12): a moderator's edit of someone else's post drops the
earlier versions but leaves one row with no text, `redacted = 1`, whose editor_id is the moderator,
so the history still says who changed the post and that something was withdrawn."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db.execute("ALTER TABLE post_revisions ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0")
