"""A member's profile page."""

from __future__ import annotations

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from node import markup
from node.services import accounts
from node.web import node_of, render
from storage import groups, posts


async def show(request: Request) -> Response:
    node = node_of(request)
    member = accounts.get(node, request.path_params["name"])
    name = member["username"]
    handle = f"@{name}" if "@" in name else f"@{name}@{member['domain'] or node.config['node.domain']}"
    return render(request, "profile.html", {
        "member": member,
        "handle": handle,  # the whole fediverse name: what others type to follow or mention
        # a local member's "Over mij" is Markdown, rendered and sanitised (a remote one came sanitised)
        "about_html": Markup(markup.render(member["about"] or "").html) if not member["domain"] else "",
        "recent": posts.by_author(node.db, member["id"], 20),
        "followed_groups": groups.followed_by(node.db, member["id"]),
    })
