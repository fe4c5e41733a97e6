"""The public moderation log and the admins' audit log (both append-only records)."""

from __future__ import annotations

from storage.db import Database, Row


def record(
    db: Database, *, group_id: int | None, action: str, target_url: str, target_label: str, reason: str,
    role: str, actor_id: int | None, now: str, report_id: int | None = None, activity_uri: str | None = None,
) -> int:
    cur = db.execute(
        "INSERT INTO moderation_log (group_id, action, target_url, target_label, reason, role, actor_id,"
        " report_id, activity_uri, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (group_id, action, target_url, target_label, reason, role, actor_id, report_id, activity_uri, now),
    )
    return int(cur.lastrowid or 0)


PUBLIC_COLUMNS = ("m.id, m.group_id, m.action, m.target_url, m.target_label, m.reason, m.role, m.activity_uri,"
                  " m.created_at, g.slug AS group_slug, g.name AS group_name, g.actor_uri AS group_actor")


def public_entries(db: Database, *, group_id: int | None, limit: int = 50, before: int | None = None,
                   offset: int = 0) -> list[Row]:
    """Newest first; group_id None: the whole node (every group's entries and the node-wide ones).
    Never the acting account or the report: only what the public log shows."""
    where, params = ["1 = 1"], []
    if group_id is not None:
        where.append("m.group_id = ?")
        params.append(group_id)
    if before is not None:
        where.append("m.id < ?")
        params.append(before)
    return db.all(
        f"SELECT {PUBLIC_COLUMNS} FROM moderation_log m LEFT JOIN groups g ON g.id = m.group_id"
        f" WHERE {' AND '.join(where)} ORDER BY m.id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )


def public_entry(db: Database, entry_id: int) -> Row | None:
    return db.one(f"SELECT {PUBLIC_COLUMNS} FROM moderation_log m LEFT JOIN groups g ON g.id = m.group_id"
                  " WHERE m.id = ?", (entry_id,))


def count(db: Database, *, group_id: int | None) -> int:
    if group_id is None:
        return int(db.scalar("SELECT count(*) FROM moderation_log") or 0)
    return int(db.scalar("SELECT count(*) FROM moderation_log WHERE group_id = ?", (group_id,)) or 0)


def audit(db: Database, *, at: str, actor_id: int | None, actor_name: str, action: str, target: str,
          detail: str, address: str) -> None:
    db.execute(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, target, detail, address)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (at, actor_id, actor_name, action, target, detail, address),
    )


def audit_entries(db: Database, *, limit: int | None = 100, offset: int = 0, action: str | None = None) -> list[Row]:
    """Newest first; limit None: all of them (the CSV export)."""
    where, params = ("WHERE action = ?", [action]) if action else ("", [])
    return db.all(f"SELECT * FROM audit_log {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                  (*params, -1 if limit is None else limit, offset))


def audit_count(db: Database, *, action: str | None = None) -> int:
    if action:
        return int(db.scalar("SELECT count(*) FROM audit_log WHERE action = ?", (action,)) or 0)
    return int(db.scalar("SELECT count(*) FROM audit_log") or 0)


def audit_actions(db: Database) -> list[str]:
    """The actions the audit log holds, for its filter."""
    return [row["action"] for row in db.all("SELECT DISTINCT action FROM audit_log ORDER BY action")]
