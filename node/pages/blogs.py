"""Blogs: all blogs, the organisation's and each member's, posts, the writing form, feeds."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import feeds, paging, urls
from node.pages import attachments, writing
from node.services import accounts, posts, topic_subscriptions
from node.services.errors import NotFound, ServiceError
from node.web import (
    current_account,
    field,
    form_errors,
    node_of,
    read_upload_form,
    redirect,
    render,
    require_account,
    thread_context,
)
from storage import accounts as account_store
from storage import posts as post_store
from storage.db import Row


async def index(request: Request) -> Response:
    db = node_of(request).db
    # The members' posts are the paged part; the organisation's newest five stay on top of page 1.
    nav = paging.of_request(request.query_params.get("page"), post_store.count_blog(db, None, members=True),
                            "/blog", {})  # a list without filters: its links carry only the page (as below)
    return render(request, "blog_index.html", {
        "organisation_posts": post_store.blog(db, None, limit=5) if nav.page.number == 1 else [],
        "member_posts": post_store.blog(db, None, limit=nav.page.size, offset=nav.page.offset, members=True),
        "paging": nav,
    })


async def new_form(request: Request) -> Response:
    require_account(request)
    return render(request, "blog_new.html", attachments.context(request, []))


async def create(request: Request) -> Response:
    account = require_account(request)
    form = await read_upload_form(request)
    values = {name: field(form, name) for name in ("title", "summary", "body", "tags", "organisation")}
    chosen = await attachments.take(request, form, account)
    files = attachments.context(request, chosen.rows, chosen.slot_values)
    try:
        if chosen.errors:
            return render(request, "blog_new.html", {"values": values, "errors": chosen.errors, **files},
                          status=chosen.status)
        if field(form, "action") == writing.PREVIEW:  # nothing is stored; the form comes back
            extra, status = writing.preview(request, values["body"])
            return render(request, "blog_new.html", {"values": values, **extra, **files}, status=status)
        post = posts.write_blog_post(
            node_of(request), account, values["title"], values["summary"], values["body"], values["tags"],
            publish=field(form, "action") != "draft", organisation=values["organisation"] == "yes",
            media_ids=chosen.media_ids,
        )
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        return render(request, "blog_new.html", {"values": values, "errors": form_errors(request, error), **files},
                      status=error.status)
    return redirect(urls.blog_post(post["blog_owner_username"], post["id"]))


def _blog_page(request: Request, owner: Row | None) -> Response:
    viewer = current_account(request)
    own = viewer is not None and owner is not None and viewer["id"] == owner["id"]
    db = node_of(request).db
    owner_id = owner["id"] if owner else None
    nav = paging.of_request(request.query_params.get("page"), post_store.count_blog(db, owner_id, include_drafts=own),
                            urls.blog(owner["username"] if owner else None), {})
    entries = post_store.blog(db, owner_id, include_drafts=own, limit=nav.page.size, offset=nav.page.offset)
    return render(request, "blog.html", {"owner": owner, "entries": entries, "own": own, "paging": nav})


async def organisation_blog(request: Request) -> Response:
    return _blog_page(request, None)


async def member_blog(request: Request) -> Response:
    return _blog_page(request, accounts.get(node_of(request), request.path_params["name"]))


def _post_page(request: Request, owner_username: str | None) -> Response:
    node = node_of(request)
    viewer = current_account(request)
    post = posts.get(node, request.path_params["post_id"], viewer)
    if post["kind"] != "blog" or post["blog_owner_username"] != owner_username:
        raise NotFound("error.post_not_found")
    if post["state"] == "published":
        posts.record_view(node, post["id"])
    return render(request, "blog_post.html", thread_context(request, post)
                  | writing.reply_box_values(request, viewer, post)
                  | {"subscription": topic_subscriptions.level(node, viewer, post["id"])})


async def organisation_post(request: Request) -> Response:
    return _post_page(request, None)


async def member_post(request: Request) -> Response:
    owner = account_store.by_username(node_of(request).db, request.path_params["name"])
    if owner is None:
        raise NotFound("error.member_not_found")
    return _post_page(request, owner["username"])


async def organisation_feed(request: Request) -> Response:
    name = node_of(request).config["node.name"]
    entries = post_store.blog(node_of(request).db, None, limit=30)
    return feeds.response(request, name, urls.blog(None), entries)


async def member_feed(request: Request) -> Response:
    owner = accounts.get(node_of(request), request.path_params["name"])
    entries = post_store.blog(node_of(request).db, owner["id"], limit=30)
    return feeds.response(request, owner["display_name"], urls.blog(owner["username"]), entries)
