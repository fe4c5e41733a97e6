"""A thread (topic or blog post with its replies) as a tree for the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node.services.context import Node
from storage import posts
from storage.db import Row


@dataclass
class Branch:
    post: Row
    children: list[Branch] = field(default_factory=list)


def build_tree(rows: list[Row]) -> tuple[Row, list[Branch]]:
    """The root and its replies nested under their parents, each level in order."""
    root = rows[0]
    branches = {row["id"]: Branch(row) for row in rows[1:]}
    top: list[Branch] = []
    for branch in branches.values():
        parent = branches.get(branch.post["parent_id"])
        (parent.children if parent else top).append(branch)
    return root, top


def page_context(node: Node, root: Row, viewer: Row | None) -> dict[str, Any]:
    rows = posts.thread(node.db, root["id"])
    root, tree = build_tree(rows)
    ids = [row["id"] for row in rows]
    return {
        "root": root,
        "tree": tree,
        "reply_total": len(rows) - 1,
        "tags": posts.tags_of(node.db, [root["id"]])[root["id"]],
        "liked": posts.liked_by(node.db, viewer["id"], ids) if viewer else set(),
    }
