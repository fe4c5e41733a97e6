"""The home page: recent topics, replies and blog posts."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from node.web import node_of, render_for_visitors, shared
from storage import posts


async def home(request: Request) -> Response:
    db = node_of(request).db

    def lists() -> dict[str, Any]:
        return {
            "topics": posts.recent(db, "topic", 10),
            "replies": posts.recent(db, "reply", 10),
            "blog_posts": posts.recent(db, "blog", 6),
        }

    # A visitor's whole page is kept per database version; a member's page is rendered for them,
    # from the lists everyone shares.
    return render_for_visitors(request, "home.html", lambda: shared(request, "home.lists", lists))
