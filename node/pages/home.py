"""The home page: recent topics, replies and blog posts (with what is new to a member)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from node.services import reads
from node.web import current_account, node_of, render_for_visitors, shared
from storage import posts


async def home(request: Request) -> Response:
    node = node_of(request)
    db, account = node.db, current_account(request)

    def lists() -> dict[str, Any]:
        return {
            "topics": posts.recent(db, "topic", 10),
            "replies": posts.recent(db, "reply", 10),
            "blog_posts": posts.recent(db, "blog", 6),
        }

    def page() -> dict[str, Any]:
        common = shared(request, "home.lists", lists)
        if account is None:
            return common
        return {name: reads.with_unread(node, rows, account) for name, rows in common.items()}

    # A visitor's whole page is kept per database version; a member's page is rendered for them,
    # from the lists everyone shares, with their own unread marks.
    return render_for_visitors(request, "home.html", page)
