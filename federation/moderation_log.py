"""The public moderation log as ActivityStreams: each entry an activity-like object. Pure.

The entry names what was done (its `type`), to what (`object`), why (`summary`) and when
(`published`); on whose behalf (`actor`: the group, or the organisation for node-wide actions),
never the moderator or the reporter.
"""

from __future__ import annotations

from typing import Any

from federation import ids
from federation.vocab import Record

# action -> (type, the type it undoes or None)
TYPES: dict[str, tuple[str, str | None]] = {
    "remove": ("Delete", None), "restore": ("Undo", "Delete"),
    "lock": ("Lock", None), "unlock": ("Undo", "Lock"),
    "pin": ("Add", None), "unpin": ("Remove", None),
    "ban": ("Block", None), "unban": ("Undo", "Block"),
    "suspend": ("Block", None), "unsuspend": ("Undo", "Block"),
    "block": ("Block", None), "unblock": ("Undo", "Block"),
    "limit": ("Ignore", None),
    "add_moderator": ("Add", None), "remove_moderator": ("Remove", None),
}


def log_uri(base: str, group_slug: str | None) -> str:
    """The log's collection: the node's, or one group's."""
    return f"{ids.group(base, group_slug)}/moderation-log" if group_slug else f"{base}/moderation-log"


def entry_uri(base: str, entry_id: int) -> str:
    return f"{base}/moderation-log/{entry_id}"


def entry(base: str, row: Record) -> dict[str, Any]:
    """One log row (moderation_log with its group's slug and actor) as an activity-like object."""
    kind, undone = TYPES.get(row["action"], ("Activity", None))
    group = (row["group_actor"] or ids.group(base, row["group_slug"])) if row["group_slug"] else None
    obj: Any = row["target_url"]
    if undone is not None:
        obj = {"type": undone, "object": row["target_url"]}
    item: dict[str, Any] = {
        "id": row["activity_uri"] or entry_uri(base, row["id"]),
        "type": kind,
        "actor": group or ids.organisation(base),
        "object": obj,
        "published": row["created_at"],
        "url": entry_uri(base, row["id"]),
    }
    if row["reason"]:
        item["summary"] = row["reason"]
    if row["target_label"]:
        item["name"] = row["target_label"]
    if group:
        item["audience"] = group
        if kind in ("Block", "Add", "Remove") or undone == "Block":
            item["target"] = f"{group}/moderators" if row["action"].endswith("moderator") else group
    return item
