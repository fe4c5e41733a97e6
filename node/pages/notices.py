"""A member's notifications (paged, newest first) and what they follow and mute."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import paging
from node.services import topic_subscriptions
from node.web import node_of, read_form, redirect, render, require_account
from storage import notifications


async def index(request: Request) -> Response:
    account = require_account(request)
    node = node_of(request)
    nav = paging.of_request(request.query_params.get("page"), notifications.count_for(node.db, account["id"]),
                            "/notifications", {})
    rows = notifications.for_account(node.db, account["id"], nav.page.size, nav.page.offset)
    return render(request, "notifications.html", {
        "notifications": rows,
        "paging": nav,
        "subscriptions": topic_subscriptions.listing(node, account),
    })


async def mark_read(request: Request) -> Response:
    account = require_account(request)
    await read_form(request)
    node = node_of(request)
    notifications.mark_read(node.db, account["id"], node.now())
    return redirect("/notifications")
