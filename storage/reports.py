"""Reports of a problem (by members, visitors or other servers), their notes, and visitors' attempts."""

from __future__ import annotations

from typing import Any

from storage.db import Database, Row

SELECT = (
    "SELECT r.*, g.slug AS group_slug, g.name AS group_name, g.domain AS group_domain,"
    " g.actor_uri AS group_uri, a.username AS account_username, a.domain AS account_domain,"
    " a.actor_uri AS account_uri, rep.username AS reporter_username, h.username AS handler_username"
    " FROM reports r"
    " LEFT JOIN groups g ON g.id = r.group_id"
    " LEFT JOIN accounts a ON a.id = r.account_id"
    " LEFT JOIN accounts rep ON rep.id = r.reporter_id"
    " LEFT JOIN accounts h ON h.id = r.handled_by"
)


def create(db: Database, fields: dict[str, Any]) -> int | None:
    """A new report; None when its flag_uri was seen before (a Flag delivered twice)."""
    names = list(fields)
    cur = db.execute(
        f"INSERT OR IGNORE INTO reports ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [fields[name] for name in names],
    )
    return int(cur.lastrowid) if cur.rowcount > 0 and cur.lastrowid else None


def by_id(db: Database, report_id: int) -> Row | None:
    return db.one(f"{SELECT} WHERE r.id = ?", (report_id,))


def by_flag_uri(db: Database, uri: str) -> Row | None:
    return db.one(f"{SELECT} WHERE r.flag_uri = ?", (uri,))


def listing(db: Database, *, state: str | None, group_ids: list[int] | None, limit: int = 100,
            handler_id: int | None = None) -> list[Row]:
    """Newest first. group_ids None: every report (admins); else only reports about posts and people in
    those groups, none about a group itself and none about the handler (handler_id) or their posts."""
    where: list[str] = []
    params: list[Any] = []
    if group_ids is not None:
        where.append("r.target_kind != 'group' AND r.account_id IS NOT ?")  # IS NOT: NULL-safe
        params.append(handler_id)
    if state is not None:
        where.append("r.state = ?")
        params.append(state)
    if group_ids is not None:
        where.append(f"r.group_id IN ({','.join('?' * len(group_ids))})" if group_ids else "0")
        params += group_ids
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return db.all(f"{SELECT}{clause} ORDER BY r.id DESC LIMIT ?", (*params, limit))


def set_state(db: Database, report_id: int, state: str, handled_by: int | None, now: str) -> None:
    db.execute("UPDATE reports SET state = ?, handled_by = ?, handled_at = ? WHERE id = ?",
               (state, handled_by, now, report_id))


def set_forwarded(db: Database, report_id: int, forwarded_to: str, now: str) -> None:
    db.execute("UPDATE reports SET forwarded_at = ?, forwarded_to = ? WHERE id = ?", (now, forwarded_to, report_id))


def add_note(db: Database, report_id: int, account_id: int | None, text: str, now: str) -> int:
    cur = db.execute("INSERT INTO report_notes (report_id, account_id, text, created_at) VALUES (?, ?, ?, ?)",
                     (report_id, account_id, text, now))
    return int(cur.lastrowid or 0)


def notes(db: Database, report_id: int) -> list[Row]:
    return db.all("SELECT n.*, a.username FROM report_notes n LEFT JOIN accounts a ON a.id = n.account_id"
                  " WHERE n.report_id = ? ORDER BY n.id", (report_id,))


# Visitors' attempts (times in Unix seconds: the window must survive a restart)

def add_attempt(db: Database, address: str, email: str, at: float) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("INSERT INTO report_attempts (address, email, at) VALUES (?, ?, ?)", (address, email, at))


def count_by_reporter(db: Database, reporter_id: int, since: str) -> int:
    """A member's reports since an ISO time (their rate limit)."""
    return int(db.scalar("SELECT count(*) FROM reports WHERE reporter_id = ? AND created_at > ?",
                         (reporter_id, since)) or 0)


def count_attempts_from(db: Database, address: str, since: float) -> int:
    return int(db.scalar("SELECT count(*) FROM report_attempts WHERE address = ? AND at > ?", (address, since)) or 0)


def count_attempts_by(db: Database, email: str, since: float) -> int:
    return int(db.scalar("SELECT count(*) FROM report_attempts WHERE email = ? AND at > ?", (email, since)) or 0)


def prune_attempts(db: Database, before: float) -> None:
    with db.transaction(counts=False) as conn:
        conn.execute("DELETE FROM report_attempts WHERE at <= ?", (before,))


def existing_rules(db: Database, rule_ids: list[int], group_id: int | None) -> list[int]:
    """Those of the ids that are rules of the node or of the group."""
    if not rule_ids:
        return []
    rows = db.all(f"SELECT id FROM rules WHERE id IN ({','.join('?' * len(rule_ids))})"
                  " AND (group_id IS NULL OR group_id IS ?)", (*rule_ids, group_id))
    return sorted(int(row["id"]) for row in rows)


def known_report(db: Database, report_id: int) -> bool:
    """Whether a report exists (a removal names the report it settles)."""
    return db.one("SELECT 1 FROM reports WHERE id = ?", (report_id,)) is not None
