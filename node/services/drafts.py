"""A member's unsent topics and replies: saved, shown again in the form, listed, thrown away.

A draft is only text on this node: nothing is published, indexed, notified or federated. Posting
the topic or reply removes it (node/services/posts.py).
"""

from __future__ import annotations

from node import markup
from node.services.context import Node
from node.services.errors import Invalid, NotFound
from storage import writing
from storage.db import Row

DRAFTS_MAX = 50  # per member: a draft is a note to oneself, not storage


def save(node: Node, account: Row, *, group_id: int | None = None, parent_id: int | None = None,
         title: str = "", body: str = "") -> None:
    """Exactly one of group_id (a topic draft) and parent_id (a reply draft). Same limits as posts."""
    title = " ".join(markup.clean_text(title).split())
    body = markup.clean_text(body).strip()
    if not body and not title:
        raise Invalid("error.required", "body")
    if len(title) > node.config["limits.title_max"]:
        raise Invalid("error.too_long", "title", max=node.config["limits.title_max"])
    if len(body) > node.config["limits.body_max"]:
        raise Invalid("error.too_long", "body", max=node.config["limits.body_max"])
    existing = writing.draft(node.db, account["id"], group_id=group_id, parent_id=parent_id)
    if existing is None and writing.draft_count(node.db, account["id"]) >= DRAFTS_MAX:
        raise Invalid("write.too_many_drafts", "body", max=DRAFTS_MAX)
    writing.save_draft(node.db, account["id"], group_id, parent_id, title, body, node.now())


def for_topic(node: Node, account: Row, group_id: int) -> Row | None:
    return writing.draft(node.db, account["id"], group_id=group_id)


def for_reply(node: Node, account: Row, parent_id: int) -> Row | None:
    return writing.draft(node.db, account["id"], parent_id=parent_id)


def of(node: Node, account: Row) -> list[Row]:
    return writing.drafts_of(node.db, account["id"])


def discard(node: Node, account: Row, draft_id: int) -> None:
    row = writing.draft_by_id(node.db, draft_id) if 0 < draft_id < 2**63 else None
    if row is None or row["account_id"] != account["id"]:
        raise NotFound("write.draft_not_found")
    writing.delete_draft(node.db, account["id"], draft_id=draft_id)
