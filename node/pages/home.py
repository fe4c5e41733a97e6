"""The home page: recent topics, replies and blog posts."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.web import node_of, render
from storage import posts


async def home(request: Request) -> Response:
    db = node_of(request).db
    return render(request, "home.html", {
        "topics": posts.recent(db, "topic", 10),
        "replies": posts.recent(db, "reply", 10),
        "blog_posts": posts.recent(db, "blog", 6),
    })
