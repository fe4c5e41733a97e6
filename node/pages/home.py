"""The home page: recent topics, replies and blog posts (with what is new to a member)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.services import reads
from node.web import current_account, node_of, render
from storage import posts


async def home(request: Request) -> Response:
    node = node_of(request)
    db, account = node.db, current_account(request)
    return render(request, "home.html", {
        "topics": reads.with_unread(node, posts.recent(db, "topic", 10), account),
        "replies": reads.with_unread(node, posts.recent(db, "reply", 10), account),
        "blog_posts": reads.with_unread(node, posts.recent(db, "blog", 6), account),
    })
