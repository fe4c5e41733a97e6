"""Who did what: every admin and moderator action goes to the audit log (admins read it), and the
public part of moderation to the moderation log (anyone reads it, never naming a reporter).

Call these inside the transaction of the action itself, so that no action goes unrecorded.
"""

from __future__ import annotations

from node.services.context import Node
from storage import moderation_log
from storage.db import Row

# The role named in the public log: which kind of moderator acted, never who.
ROLE_ADMIN, ROLE_MODERATOR, ROLE_REMOTE = "admin", "moderator", "remote moderator"


def record(node: Node, actor: Row | None, action: str, target: str = "", detail: str = "",
           address: str = "", *, actor_name: str | None = None) -> None:
    """An audit entry. actor None: the command line (`meent ...`), which acts as the operator, unless
    actor_name names who else acted (a remote group changing its own moderators)."""
    moderation_log.audit(
        node.db, at=node.now(), actor_id=actor["id"] if actor is not None else None,
        actor_name=actor_name or _name(actor), action=action, target=target, detail=detail, address=address,
    )


def publish(node: Node, actor: Row | None, *, action: str, target_url: str, target_label: str = "",
            reason: str = "", group_id: int | None = None, role: str | None = None,
            report_id: int | None = None, activity_uri: str | None = None, actor_name: str | None = None) -> None:
    """A public moderation-log entry, and the matching audit entry."""
    moderation_log.record(
        node.db, group_id=group_id, action=action, target_url=target_url, target_label=target_label,
        reason=reason, role=role or role_of(actor), actor_id=actor["id"] if actor is not None else None,
        now=node.now(), report_id=report_id, activity_uri=activity_uri,
    )
    record(node, actor, action, target_url, reason, actor_name=actor_name)


def role_of(actor: Row | None) -> str:
    if actor is None or actor["role"] == "admin":
        return ROLE_ADMIN
    if actor["domain"]:
        return ROLE_REMOTE
    return ROLE_MODERATOR


def _name(actor: Row | None) -> str:
    if actor is None:
        return "(command line)"
    return f"{actor['username']}@{actor['domain']}" if actor["domain"] else str(actor["username"])
