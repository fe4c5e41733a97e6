"""A thread (topic or blog post with its replies) as a tree for the page, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from node import urls
from node.services import blocks, media
from node.services.context import Node
from storage import posts
from storage.db import Row

PAGE_SIZE = 50  # replies per page, in display order (depth first)


@dataclass
class Branch:
    post: Row
    children: list[Branch] = field(default_factory=list)
    hidden: bool = False  # by a limited account or server the viewer does not follow
    attachments: list[Row] = field(default_factory=list)
    depth: int = 1  # in the whole thread: 1 answers the opening post
    parent_elsewhere: Row | None = None  # the parent, when it is on an earlier page
    parent_hidden: bool = False  # that parent is by a limited account the viewer does not follow
    unread: bool = False  # new to the member viewing (never for visitors)


def build_tree(rows: list[Row]) -> tuple[Row, list[Branch]]:
    """The root and its replies nested under their parents, each level in order."""
    root = rows[0]
    branches = {row["id"]: Branch(row) for row in rows[1:]}
    top: list[Branch] = []
    for branch in branches.values():
        parent = branches.get(branch.post["parent_id"])
        (parent.children if parent else top).append(branch)
    return root, top


def display_order(top: list[Branch]) -> list[Branch]:
    """Every reply depth first, as the whole tree would show them; sets each one's depth."""
    order: list[Branch] = []
    stack = [(branch, 1) for branch in reversed(top)]
    while stack:  # no recursion: a deep chain of replies must not hit Python's limit
        branch, depth = stack.pop()
        branch.depth = depth
        order.append(branch)
        stack.extend((child, depth + 1) for child in reversed(branch.children))
    return order


def page_count(reply_total: int) -> int:
    return max(1, -(-reply_total // PAGE_SIZE))


def page_of(order: list[Branch], post_id: int) -> int:
    """The page a reply is on (1 for the opening post or a post not in the thread)."""
    for index, branch in enumerate(order):
        if branch.post["id"] == post_id:
            return index // PAGE_SIZE + 1
    return 1


def page_tree(order: list[Branch], page: int, root_id: int) -> list[Branch]:
    """The replies of one page, nested as far as their parents are on it too. A reply whose parent
    is on an earlier page starts a branch of its own that names that parent."""
    chosen = order[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    copies: dict[int, Branch] = {}
    by_id = {branch.post["id"]: branch for branch in order}
    top: list[Branch] = []
    for branch in chosen:
        copy = Branch(branch.post, depth=branch.depth)
        copies[branch.post["id"]] = copy
        parent_id = branch.post["parent_id"]
        if parent_id in copies:
            copies[parent_id].children.append(copy)
        else:
            if parent_id != root_id and parent_id in by_id:
                copy.parent_elsewhere = by_id[parent_id].post
            top.append(copy)
    return top


def _walk(branches: list[Branch]) -> list[Branch]:
    found: list[Branch] = []
    for branch in branches:
        found.append(branch)
        found.extend(_walk(branch.children))
    return found


def _is_new(post: Row, mark: int | None, viewer: Row) -> bool:
    return (post["id"] > (mark or 0) and post["author_id"] != viewer["id"]
            and not post["deleted_at"] and not post["removed_at"])


def page_context(node: Node, root: Row, viewer: Row | None, page: int | str = 1,
                 mark: int | None = None) -> dict[str, Any]:
    """One page of a thread. page is a number from 1 or "last"; a page beyond the last is None in
    the answer's "page" (the door says so). mark: the member's read mark, for what is new."""
    rows = posts.thread(node.db, root["id"])
    root, tree = build_tree(rows)
    order = display_order(tree)
    pages = page_count(len(order))
    number = pages if page == "last" else int(page)
    if not 1 <= number <= pages:
        return {"page": None, "pages": pages, "root": root}
    shown = page_tree(order, number, root["id"])
    on_page = _walk(shown)
    # hidden in the whole thread, not only on this page: a hidden post is never new, so the first
    # new post and the read mark skip it (the lists' counts leave it out too: services/reads.py)
    hidden = blocks.hidden_ids(node, [branch.post for branch in order], viewer)
    ids = [root["id"]] + [branch.post["id"] for branch in on_page]
    attached = media.for_posts(node, ids)  # one query for the page
    for branch in on_page:
        branch.hidden = branch.post["id"] in hidden
        branch.parent_hidden = branch.parent_elsewhere is not None and branch.parent_elsewhere["id"] in hidden
        branch.attachments = attached.get(branch.post["id"], [])
        branch.unread = viewer is not None and _is_new(branch.post, mark, viewer) and not branch.hidden
    new = [branch for branch in order
           if viewer is not None and _is_new(branch.post, mark, viewer) and branch.post["id"] not in hidden]
    first_unread = new[0] if new else None
    visible = [branch for branch in order if branch.post["deleted_at"] is None and branch.post["removed_at"] is None]
    seen_here = [branch for branch in visible if branch.post["id"] not in hidden]  # the last reply one can read
    latest = max(seen_here, key=lambda branch: branch.post["id"]) if seen_here else None
    # The mark is one id, and replies are in tree order: a new answer to an early reply sits on page 1
    # with the highest id. So seeing a page marks read only up to the first new post it did not show.
    shown_ids = set(ids)
    unseen = [branch.post["id"] for branch in new if branch.post["id"] not in shown_ids]
    highest = max(ids) if number == 1 else max(ids[1:], default=root["id"])
    if unseen:
        highest = min(highest, min(unseen) - 1)
    return {
        "root_attachments": attached.get(root["id"], []),
        "root": root,
        "root_unread": number == 1 and viewer is not None and _is_new(root, mark, viewer),
        "tree": shown,
        # deleted and removed replies keep their place in the tree (and in the paging) but are not counted
        "reply_total": len(visible),
        "has_replies": bool(order),
        "positions": len(order),  # what the pages count: every reply, deleted ones keep their place
        "page": number,
        "pages": pages,
        "highest_shown": highest,
        "first_unread": (first_unread.post["id"], page_of(order, first_unread.post["id"])) if first_unread else None,
        "latest": (latest.post["id"], page_of(order, latest.post["id"])) if latest else None,
        "tags": posts.tags_of(node.db, [root["id"]])[root["id"]],
        "liked": posts.liked_by(node.db, viewer["id"], ids) if viewer else set(),
    }


def reply_page(node: Node, post: Row) -> int:
    """The page of its thread a reply is on."""
    rows = posts.thread(node.db, post["topic_id"])
    _, tree = build_tree(rows)
    return page_of(display_order(tree), post["id"])


def place(node: Node, post: Row) -> str:
    """Where a post is shown: a root its thread's page, a reply its anchor on the page it is on."""
    if post["id"] == post["topic_id"]:
        return urls.thread(post)
    return urls.in_thread(post, reply_page(node, post))
