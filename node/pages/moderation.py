"""/moderation: the queue of reports for those who moderate what they are about, a report with the
reported content in context, notes, resolve, dismiss and forwarding to the origin server."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from node.services import reports
from node.services.errors import ServiceError
from node.web import client_address, field, flash, form_errors, node_of, read_form, redirect, render, require_account
from storage import accounts, posts
from storage.db import Row


async def queue(request: Request) -> Response:
    account = require_account(request)
    state = request.query_params.get("state", "open")
    if state not in reports.STATES:
        state = "open"
    return render(request, "moderation.html", {
        "reports": reports.queue(node_of(request), account, state), "state": state, "states": reports.STATES,
    })


def _context(request: Request, report: Row) -> dict[str, object]:
    node = node_of(request)
    post = posts.by_id(node.db, report["post_id"]) if report["post_id"] is not None else None
    root = posts.by_id(node.db, post["topic_id"]) if post is not None and post["topic_id"] != post["id"] else None
    parent = posts.by_id(node.db, post["parent_id"]) if post is not None and post["parent_id"] else None
    account = accounts.by_id(node.db, report["account_id"]) if report["account_id"] is not None else None
    return {
        "report": report, "post": post, "root": root, "parent": parent, "reported_account": account,
        "recent": posts.by_author(node.db, account["id"], 5) if account is not None and post is None else [],
        "notes": reports.notes(node, report), "page": reports.target_page(report, post),
        "may_forward": reports.may_forward(node, report),
        "position": _position(request, post) if root is not None else None,
    }


def _position(request: Request, post: Row | None) -> tuple[int, int] | None:
    """Where a reply stands in its thread: (its number, the number of replies)."""
    if post is None:
        return None
    replies = [row["id"] for row in posts.thread(node_of(request).db, post["topic_id"])][1:]
    return (replies.index(post["id"]) + 1, len(replies)) if post["id"] in replies else None


async def show(request: Request) -> Response:
    report = reports.get(node_of(request), require_account(request), request.path_params["report_id"])
    return render(request, "moderation_report.html", _context(request, report))


async def note(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    node, report_id = node_of(request), request.path_params["report_id"]
    try:
        reports.add_note(node, account, report_id, field(form, "note"))
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        report = reports.get(node, account, report_id)
        return render(request, "moderation_report.html", _context(request, report) | {
            "errors": form_errors(request, error), "values": {"note": field(form, "note")}}, status=error.status)
    return redirect(f"/moderation/reports/{report_id}")


async def act(request: Request) -> Response:
    """resolve, dismiss or forward (the last part of the path)."""
    account = require_account(request)
    await read_form(request)
    node, report_id = node_of(request), request.path_params["report_id"]
    action = request.path_params["action"]
    handlers = {"resolve": reports.resolve, "dismiss": reports.dismiss, "forward": reports.forward}
    if action not in handlers:
        raise HTTPException(404)
    handlers[action](node, account, report_id, client_address(request))
    flash(request, f"moderation.done_{action}")
    return redirect(f"/moderation/reports/{report_id}")
