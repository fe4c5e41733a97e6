"""One post: its permalink, replying to it, editing, deleting, liking."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from node import markup, threads, urls
from node.pages import attachments, writing
from node.services import media, posts
from node.services.errors import Invalid, NotFound, ServiceError
from node.web import (
    BadForm,
    CsrfFailed,
    FormTooLarge,
    LoginRequired,
    current_account,
    field,
    form_errors,
    node_of,
    read_form,
    read_upload_form,
    redirect,
    render,
    require_account,
    t,
)
from storage.db import Row


def _post(request: Request, viewer: Row | None) -> Row:
    return posts.get(node_of(request), request.path_params["post_id"], viewer)


async def show(request: Request) -> Response:
    """/posts/{id} leads to the post's place in its thread."""
    return redirect(threads.place(node_of(request), _post(request, current_account(request))))


async def reply_form(request: Request) -> Response:
    account = require_account(request)
    parent = _post(request, account)
    if parent["deleted_at"]:
        raise NotFound("error.post_not_found")
    body, draft = writing.reply_body(request, account, parent)
    return render(request, "reply.html", {"parent": parent, "values": {"body": body}, "draft": draft,
                                          **attachments.context(request, [])})


async def reply(request: Request) -> Response:
    account = require_account(request)
    form = await read_upload_form(request)
    parent = _post(request, account)
    chosen = await attachments.take(request, form, account)
    values = {"body": field(form, "body")}
    try:
        if chosen.errors:
            return render(request, "reply.html", {
                "parent": parent, "values": values, "errors": chosen.errors,
                **attachments.context(request, chosen.rows, chosen.slot_values)}, status=chosen.status)
        action = field(form, "action")
        if action in (writing.PREVIEW, writing.DRAFT):  # nothing is posted; the form comes back
            extra, status = (writing.preview(request, values["body"]) if action == writing.PREVIEW else
                             writing.save_draft(request, account, parent_id=parent["id"], body=values["body"]))
            return render(request, "reply.html", {
                "parent": parent, "values": values, **extra,
                **attachments.context(request, chosen.rows, chosen.slot_values)}, status=status)
        post = posts.reply(node_of(request), account, parent["id"], values["body"], chosen.media_ids)
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        return render(request, "reply.html", {
            "parent": parent, "values": values, "errors": form_errors(request, error),
            **attachments.context(request, chosen.rows, chosen.slot_values)}, status=error.status)
    return redirect(threads.place(node_of(request), post))


async def edit_form(request: Request) -> Response:
    account = require_account(request)
    post = _post(request, account)
    posts.check_may_change(post, account)
    tags = posts.tags_for_form(node_of(request), post)
    files = media.for_post(node_of(request), post["id"]) if post["author_id"] == account["id"] else None
    return render(request, "post_edit.html", {
        "post": post, "values": {"title": post["title"], "summary": post["summary"], "body": post["source"],
                                 "tags": tags},
        **(attachments.context(request, files) if files is not None else {}),
    })


async def edit(request: Request) -> Response:
    account = require_account(request)
    form = await read_upload_form(request)
    post = _post(request, account)
    values = {name: field(form, name) for name in ("title", "summary", "body", "tags")}
    publish = {"publish": True, "draft": False}.get(field(form, "action"))
    own = post["author_id"] == account["id"]  # a moderator edits the text, not the author's files
    chosen = await attachments.take(request, form, account, post["id"]) if own else attachments.Chosen()
    files = attachments.context(request, chosen.rows, chosen.slot_values) if own else {}
    try:
        if chosen.errors:
            return render(request, "post_edit.html", {"post": post, "values": values, "errors": chosen.errors,
                                                      **files}, status=chosen.status)
        if field(form, "action") == writing.PREVIEW:  # nothing is saved; the form comes back
            extra, status = writing.preview(request, values["body"])
            return render(request, "post_edit.html", {"post": post, "values": values, **extra, **files},
                          status=status)
        post = posts.edit(
            node_of(request), account, post["id"], body=values["body"],
            title=values["title"] if post["kind"] != "reply" else None,
            summary=values["summary"], tags=values["tags"], publish=publish,
            media_ids=chosen.media_ids if own else None, descriptions=chosen.descriptions,
        )
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        return render(request, "post_edit.html", {
            "post": post, "values": values, "errors": form_errors(request, error), **files,
        }, status=error.status)
    return redirect(threads.place(node_of(request), post))


async def delete_form(request: Request) -> Response:
    """The confirmation step before a delete: what will go, and the button that does it."""
    account = require_account(request)
    post = _post(request, account)
    posts.check_may_delete(node_of(request), post, account)  # the same rights as the delete itself
    return render(request, "post_delete.html", {"post": post, "excerpt": _excerpt(post)})


def _excerpt(post: Row) -> str:
    """The start of the post's text, for the confirmation."""
    text = markup.plain_text(post["content"] or "")
    return text if len(text) <= 300 else text[:300].rsplit(" ", 1)[0] + " …"


async def delete(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    # someone else's post, deleted by a moderator, is removed with a reason (services.moderation)
    try:
        post = posts.delete(node_of(request), account, request.path_params["post_id"], field(form, "reason"))
    except Invalid as error:  # no reason given: the confirmation again, with the message
        post = _post(request, account)
        return render(request, "post_delete.html", {"post": post, "excerpt": _excerpt(post),
                      "values": {"reason": field(form, "reason")}, "errors": form_errors(request, error)},
                      status=error.status)
    if post["kind"] == "blog" and post["state"] == "draft":
        return redirect(urls.blog(post["blog_owner_username"]))
    return redirect(threads.place(node_of(request), post))


async def like(request: Request) -> Response:
    return await _like_or_unlike(request, liked=True)


async def unlike(request: Request) -> Response:
    return await _like_or_unlike(request, liked=False)


async def _like_or_unlike(request: Request, liked: bool) -> Response:
    """Without JavaScript: the change, then back to the post's place. like.js asks for JSON instead
    (the button and the count change in place): the same checks, and each refusal as JSON with its
    status and message, so the script can fall back to sending the form."""
    change = posts.like if liked else posts.unlike
    try:
        account = require_account(request)
        await read_form(request)
        change(node_of(request), account, request.path_params["post_id"])
        post = _post(request, account)
    except (LoginRequired, CsrfFailed, FormTooLarge, BadForm, ServiceError) as refused:
        if not _wants_json(request):
            raise  # the app's own pages for each
        return _json_refusal(request, refused)
    if not _wants_json(request):
        return redirect(threads.place(node_of(request), post))
    count = int(post["like_count"])
    # the count as the page shows it (plural, language): the script has no texts of its own
    return JSONResponse({"liked": liked, "count": count,
                         "count_text": t(request, "post.likes", count=count) if count else ""})


def _json_refusal(request: Request, refused: Exception) -> JSONResponse:
    if isinstance(refused, ServiceError):
        return _json_error(request, refused.status, refused.message_key, **refused.params)
    status, key = {LoginRequired: (401, "error.login_required"), CsrfFailed: (403, "error.csrf"),
                   FormTooLarge: (413, "error.too_large")}.get(type(refused), (400, "error.bad_form"))
    return _json_error(request, status, key)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "").lower()


def _json_error(request: Request, status: int, key: str, **params: object) -> JSONResponse:
    return JSONResponse({"error": t(request, key, **params), "status": status}, status_code=status)
