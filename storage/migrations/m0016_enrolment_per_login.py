"""A secret being enrolled during a log-in belongs to that half-finished log-in only (issue 10
review): another half-finished log-in of the same account never sees it. The one on accounts stays
for enrolling from /settings, where the member is signed in."""

from sqlite_utils import Database


def apply(db: Database) -> None:
    db.execute("ALTER TABLE pending_logins ADD COLUMN totp_pending TEXT")
    db.execute("UPDATE accounts SET totp_pending = NULL")  # may have been shown to a log-in: start afresh
