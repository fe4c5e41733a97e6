"""Accounts of the organisation's members."""

from __future__ import annotations

from storage.db import Database, Row

PROFILE_FIELDS = ("display_name", "job_title", "department", "about", "language")


def create(
    db: Database, *, username: str, password_hash: str, email: str | None, role: str,
    display_name: str, now: str,
) -> int:
    cur = db.execute(
        "INSERT INTO accounts (username, email, password_hash, role, display_name, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (username, email, password_hash, role, display_name, now),
    )
    return int(cur.lastrowid or 0)


def by_id(db: Database, account_id: int) -> Row | None:
    return db.one("SELECT * FROM accounts WHERE id = ?", (account_id,))


def by_username(db: Database, username: str) -> Row | None:
    return db.one("SELECT * FROM accounts WHERE username = ?", (username,))


def by_usernames(db: Database, usernames: list[str]) -> list[Row]:
    if not usernames:
        return []
    marks = ",".join("?" * len(usernames))
    return db.all(
        f"SELECT * FROM accounts WHERE username IN ({marks}) AND disabled = 0 AND domain IS NULL", usernames
    )


def listing(db: Database) -> list[Row]:
    return db.all("SELECT * FROM accounts WHERE domain IS NULL ORDER BY username")


def count(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM accounts WHERE disabled = 0 AND domain IS NULL") or 0)


def update_profile(db: Database, account_id: int, fields: dict[str, str]) -> None:
    names = [name for name in fields if name in PROFILE_FIELDS]
    if not names:
        return
    assignments = ", ".join(f"{name} = ?" for name in names)
    db.execute(
        f"UPDATE accounts SET {assignments} WHERE id = ?",
        [fields[name] for name in names] + [account_id],
    )


def set_password_hash(db: Database, account_id: int, password_hash: str, *, end_sessions: bool = False) -> None:
    """A new hash; end_sessions also invalidates every session signed in before (a new password)."""
    bump = ", session_version = session_version + 1" if end_sessions else ""
    db.execute(f"UPDATE accounts SET password_hash = ?{bump} WHERE id = ?", (password_hash, account_id))


def set_role(db: Database, account_id: int, role: str) -> None:
    db.execute("UPDATE accounts SET role = ? WHERE id = ?", (role, account_id))


def set_disabled(db: Database, account_id: int, disabled: bool) -> None:
    db.execute("UPDATE accounts SET disabled = ? WHERE id = ?", (int(disabled), account_id))


def local_by_username(db: Database, username: str) -> Row | None:
    return db.one("SELECT * FROM accounts WHERE username = ? AND domain IS NULL", (username,))


def by_actor_uri(db: Database, uri: str) -> Row | None:
    return db.one("SELECT * FROM accounts WHERE actor_uri = ?", (uri,))


def upsert_remote(db: Database, *, uri: str, handle: str, domain: str, display_name: str, about: str,
                  now: str) -> int:
    """The local row that stands for a remote person; returns its id."""
    existing = by_actor_uri(db, uri)
    if existing is not None:
        if (existing["display_name"], existing["about"]) != (display_name, about):  # a commit only for news
            db.execute("UPDATE accounts SET display_name = ?, about = ? WHERE id = ?",
                       (display_name, about, existing["id"]))
        return int(existing["id"])
    cur = db.execute(
        "INSERT INTO accounts (username, password_hash, role, display_name, about, created_at, domain, actor_uri)"
        " VALUES (?, '!', 'member', ?, ?, ?, ?, ?)",
        (handle, display_name, about, now, domain, uri),
    )
    return int(cur.lastrowid or 0)


def search_local(db: Database, text: str, limit: int) -> list[Row]:
    """Members whose user name or name contains the text."""
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return db.all("SELECT * FROM accounts WHERE domain IS NULL AND disabled = 0 AND"
                  " (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\') ORDER BY username LIMIT ?",
                  (like, like, limit))


def moderator_usernames(db: Database) -> list[str]:
    rows = db.all("SELECT username FROM accounts WHERE role IN ('moderator', 'admin') AND disabled = 0"
                  " AND domain IS NULL ORDER BY username")
    return [row["username"] for row in rows]


def set_suspended(db: Database, account_id: int, at: str | None, reason: str | None) -> None:
    """A node-wide suspension (at None lifts it)."""
    db.execute("UPDATE accounts SET suspended_at = ?, suspended_reason = ? WHERE id = ?", (at, reason, account_id))


def local_usernames(db: Database) -> list[str]:
    """Every local account's user name (to tell look-alike names apart)."""
    return [row["username"] for row in db.all("SELECT username FROM accounts WHERE domain IS NULL")]


def set_last_login(db: Database, account_id: int, now: str) -> None:
    """A finished log-in (web session or app token), shown to admins."""
    db.execute("UPDATE accounts SET last_login_at = ? WHERE id = ?", (now, account_id))


def remote_authors_query(author_ids: str, viewer: str) -> str:
    """SQL for the remote accounts among `author_ids` (a subquery of account ids), as rows (id,
    actor_uri, followed: whether `viewer`, a parameter, follows them and was accepted): the
    candidates node/services/blocks.hidden_authors_among decides on."""
    return ("SELECT a.id AS id, a.actor_uri AS actor_uri, EXISTS (SELECT 1 FROM follows f WHERE"
            f" f.follower = {viewer} AND f.followee = a.actor_uri AND f.state = 'accepted') AS followed"
            f" FROM accounts a WHERE a.id IN ({author_ids})"
            " AND a.domain IS NOT NULL AND a.domain != '' AND a.actor_uri IS NOT NULL")
