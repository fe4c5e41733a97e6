"""Reading the moderation activities other servers send (Lemmy, Mbin, NodeBB and our own forms, see
docs/architecture.md "Moderation from other servers") as plain claims. Pure: who may make a claim
is decided by the service (node/services/remote_moderation.py), not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from federation import reading

MAX_REASON = 1000
# What a claim asks: a removal of a post or a whole topic, a ban from a group, a lock of a topic,
# their undoing, or a change of a group's moderators.
REMOVE, REMOVE_TOPIC, BAN, UNBAN, LOCK, UNLOCK = "remove", "remove_topic", "ban", "unban", "lock", "unlock"
ADD_MODERATOR, REMOVE_MODERATOR = "add_moderator", "remove_moderator"


@dataclass(frozen=True)
class Claim:
    action: str
    actor: str  # who claims it (the moderator, or the group for moderator changes)
    object: str  # the post, the topic's context, the account or the new moderator
    target: str | None  # the group (Block, Remove of a topic) or its moderators collection (Add, Remove)
    reason: str
    expires: datetime | None
    activity_id: str


def reason_of(activity: Mapping[str, Any]) -> str:
    """Lemmy and we put the reason in `summary`; some put it in `content`. Plain text, bounded."""
    text = reading.text_of(activity, "summary") or reading.text_of(activity, "content")
    return " ".join(text.split())[:MAX_REASON]


def expiry(value: Any) -> datetime | None:
    """A ban's end (`expires`, Lemmy; `endTime` as ActivityStreams names it), None for good."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # "0001-01-01T00:00:00+01:00" is before the first moment in UTC
        return None


def claim(activity: Mapping[str, Any]) -> Claim | None:
    """The moderation claim an activity makes, or None when it is not one (a Block of a person by a
    person, an Undo of a Like, an Add to a featured collection is read elsewhere or ignored)."""
    kind = reading.kind(activity)
    actor = reading.id_of(activity.get("actor"))
    activity_id = activity.get("id")
    obj = activity.get("object")
    target = reading.id_of(activity.get("target"))
    if not actor or not isinstance(activity_id, str):
        return None
    if kind == "Undo":
        if not isinstance(obj, Mapping):
            return None
        inner = claim(obj)
        if inner is None or inner.action not in (BAN, LOCK):
            return None
        undone = UNBAN if inner.action == BAN else UNLOCK
        return Claim(undone, actor, inner.object, inner.target, reason_of(activity) or inner.reason, None,
                     activity_id)
    object_id = reading.id_of(obj)
    if not object_id:
        return None
    reason = reason_of(activity)
    if kind == "Delete":
        return Claim(REMOVE, actor, object_id, None, reason, None, activity_id)
    if kind == "Lock":
        return Claim(LOCK, actor, object_id, None, reason, None, activity_id)
    if kind == "Block" and target:
        expires = expiry(activity.get("expires") or activity.get("endTime"))
        return Claim(BAN, actor, object_id, target, reason, expires, activity_id)
    if kind == "Add" and target:
        return Claim(ADD_MODERATOR, actor, object_id, target, reason, None, activity_id)
    if kind == "Remove" and target:
        # Remove{target: group} takes a topic out of it; Remove{target: collection} a moderator
        # (the service tells them apart by what the target is).
        return Claim(REMOVE_TOPIC, actor, object_id, target, reason, None, activity_id)
    return None


def moderators_url(group_doc: Mapping[str, Any]) -> str | None:
    """Where a group lists its moderators: `moderators` (ours, Mbin), else a collection in
    `attributedTo` (Lemmy). Only on the group's own server: a list kept elsewhere proves nothing."""
    group_id = reading.id_of(group_doc.get("id")) or ""
    for value in (group_doc.get("moderators"), group_doc.get("attributedTo")):
        url = value if isinstance(value, str) else None
        if url and reading.web_url(url) and reading.origin(url) == reading.origin(group_id):
            return url
    return None


def collection_items(page: Mapping[str, Any], cap: int) -> list[str]:
    """The ids a collection page lists, at most `cap`."""
    return [uri for item in reading.bounded(page.get("orderedItems") or page.get("items"), cap)
            if (uri := reading.id_of(item)) and reading.web_url(uri)]
