"""A member's profile page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.services import accounts
from node.web import node_of, render
from storage import groups, posts


async def show(request: Request) -> Response:
    node = node_of(request)
    member = accounts.get(node, request.path_params["name"])
    return render(request, "profile.html", {
        "member": member,
        "recent": posts.by_author(node.db, member["id"], 20),
        "followed_groups": groups.followed_by(node.db, member["id"]),
    })
