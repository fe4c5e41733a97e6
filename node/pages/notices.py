"""A member's notifications (paged, newest first) and what they follow and mute."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.services import topic_subscriptions
from node.web import node_of, read_form, redirect, render, require_account
from storage import notifications

PER_PAGE = 30
PAGE_MAX = 10_000  # deeper than anyone reads; keeps the OFFSET bounded


def page_number(raw: str | None) -> int:
    """?page=N, 1-based; anything else is the first page (a bad link still shows something)."""
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return min(max(number, 1), PAGE_MAX)


async def index(request: Request) -> Response:
    account = require_account(request)
    node = node_of(request)
    page = page_number(request.query_params.get("page"))
    rows = notifications.for_account(node.db, account["id"], PER_PAGE + 1, (page - 1) * PER_PAGE)
    return render(request, "notifications.html", {
        "notifications": rows[:PER_PAGE],
        "page": page,
        "has_older": len(rows) > PER_PAGE,
        "subscriptions": topic_subscriptions.listing(node, account),
    })


async def mark_read(request: Request) -> Response:
    account = require_account(request)
    await read_form(request)
    node = node_of(request)
    notifications.mark_read(node.db, account["id"], node.now())
    return redirect("/notifications")
