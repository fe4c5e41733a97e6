"""A member's notifications: mentions, replies and likes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.web import node_of, read_form, redirect, render, require_account
from storage import notifications


async def index(request: Request) -> Response:
    account = require_account(request)
    return render(request, "notifications.html", {
        "notifications": notifications.for_account(node_of(request).db, account["id"]),
    })


async def mark_read(request: Request) -> Response:
    account = require_account(request)
    await read_form(request)
    node = node_of(request)
    notifications.mark_read(node.db, account["id"], node.now())
    return redirect("/notifications")
