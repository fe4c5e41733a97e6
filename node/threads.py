"""A thread (topic or blog post with its replies) as a tree for the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node.services import blocks, media
from node.services.context import Node
from storage import posts
from storage.db import Row


@dataclass
class Branch:
    post: Row
    children: list[Branch] = field(default_factory=list)
    hidden: bool = False  # by a limited account or server the viewer does not follow
    attachments: list[Row] = field(default_factory=list)


def build_tree(rows: list[Row]) -> tuple[Row, list[Branch]]:
    """The root and its replies nested under their parents, each level in order."""
    root = rows[0]
    branches = {row["id"]: Branch(row) for row in rows[1:]}
    top: list[Branch] = []
    for branch in branches.values():
        parent = branches.get(branch.post["parent_id"])
        (parent.children if parent else top).append(branch)
    return root, top


def _attach(branches: list[Branch], attached: dict[int, list[Row]]) -> None:
    for branch in branches:
        branch.attachments = attached.get(branch.post["id"], [])
        _attach(branch.children, attached)


def _mark_hidden(branches: list[Branch], hidden: set[int]) -> None:
    for branch in branches:
        branch.hidden = branch.post["id"] in hidden
        _mark_hidden(branch.children, hidden)


def page_context(node: Node, root: Row, viewer: Row | None) -> dict[str, Any]:
    rows = posts.thread(node.db, root["id"])
    root, tree = build_tree(rows)
    hidden = blocks.hidden_ids(node, rows[1:], viewer)
    if hidden:
        _mark_hidden(tree, hidden)
    ids = [row["id"] for row in rows]
    attached = media.for_posts(node, ids)  # one query for the whole thread
    _attach(tree, attached)
    return {
        "root_attachments": attached.get(root["id"], []),
        "root": root,
        "tree": tree,
        # deleted and removed replies keep their place in the tree but are not counted
        "reply_total": sum(1 for row in rows[1:] if row["deleted_at"] is None and row["removed_at"] is None),
        "tags": posts.tags_of(node.db, [root["id"]])[root["id"]],
        "liked": posts.liked_by(node.db, viewer["id"], ids) if viewer else set(),
    }
