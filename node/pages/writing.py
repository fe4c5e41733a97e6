"""The writing aids of the post forms: a preview, drafts of topics and replies (/drafts), quoting
the post replied to, and a post's edit history (/posts/{id}/history)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

from node.services import drafts, posts, quoting, revisions
from node.services.errors import ServiceError
from node.web import current_account, flash, form_errors, node_of, read_form, redirect, render, require_account, t
from storage.db import Row

PREVIEW = "preview"
DRAFT = "draft"


def preview(request: Request, body: str) -> tuple[dict[str, Any], int]:
    """The form's context with the rendered preview (or the error that stops it) and its status."""
    try:
        return {"preview": Markup(posts.preview(node_of(request), body))}, 200
    except ServiceError as error:
        return {"errors": form_errors(request, error)}, error.status


def save_draft(request: Request, account: Row, *, group_id: int | None = None, parent_id: int | None = None,
               title: str = "", body: str = "") -> tuple[dict[str, Any], int]:
    try:
        drafts.save(node_of(request), account, group_id=group_id, parent_id=parent_id, title=title, body=body)
    except ServiceError as error:
        return {"errors": form_errors(request, error)}, error.status
    return {"draft_saved": True}, 200


def reply_body(request: Request, account: Row, parent: Row) -> tuple[str, Row | None]:
    """What the reply form starts with: the member's draft, after the quote asked for (?quote=1, or
    ?quote_text=... from a selection). A removed post is not quoted: its text is not for everyone."""
    node = node_of(request)
    draft = drafts.for_reply(node, account, parent["id"])
    body = draft["source"] if draft is not None else ""
    if parent["removed_at"] or parent["topic_removed_at"] or parent["deleted_at"]:
        return body, draft
    attribution = t(request, "write.wrote", name=parent["author_name"])
    passage = request.query_params.get("quote_text", "")
    if passage.strip():
        body = quoting.quote_passage(attribution, passage) + body
    elif request.query_params.get("quote") == "1":
        body = quoting.quote_source(attribution, parent["source"], parent["content"]) + body
    return body, draft


def reply_box_values(request: Request, account: Row | None, root: Row) -> dict[str, Any]:
    """The reply box under a thread shows the member's draft reply to its opening post."""
    if account is None:
        return {}
    draft = drafts.for_reply(node_of(request), account, root["id"])
    return {"values": {"body": draft["source"]}} if draft is not None else {}


async def drafts_page(request: Request) -> Response:
    account = require_account(request)
    return render(request, "drafts.html", {"drafts": drafts.of(node_of(request), account)})


async def discard(request: Request) -> Response:
    account = require_account(request)
    await read_form(request)
    drafts.discard(node_of(request), account, request.path_params["draft_id"])
    flash(request, "write.draft_discarded")
    return redirect("/drafts")


async def history(request: Request) -> Response:
    viewer = current_account(request)
    node = node_of(request)
    post = posts.get(node, request.path_params["post_id"], viewer)
    versions = revisions.history(node, post, viewer)
    return render(request, "post_history.html", {"post": post, "versions": list(reversed(versions))})
