"""Groups: the list, one group's page, creating and following them, the group's feed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import feeds, paging, urls
from node.services import accounts, blocks, groups, moderation, reads, rules
from node.services.errors import ServiceError
from node.web import (
    current_account,
    field,
    form_errors,
    node_of,
    read_form,
    redirect,
    render,
    require_account,
    safe_next,
)
from storage import groups as group_store
from storage import posts


def _listing(request: Request) -> dict[str, object]:
    """One page of our groups, with its navigation."""
    db = node_of(request).db
    nav = paging.of_request(request.query_params.get("page"), group_store.count_local(db), "/groups",
                            {})  # a list without filters: its links carry only the page
    return {"groups": group_store.listing(db, nav.page.size, nav.page.offset), "paging": nav}


async def index(request: Request) -> Response:
    node = node_of(request)
    return render(request, "groups.html", _listing(request)
                  | {"unread_groups": reads.unread_per_group(node, current_account(request))})


async def create(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    values = {name: field(form, name) for name in ("slug", "name", "description")}
    try:
        group = groups.create(node_of(request), account, values["slug"], values["name"], values["description"])
    except ServiceError as error:
        if not accounts.can_moderate(account):
            raise
        return render(request, "groups.html", {
            **_listing(request), "values": values,
            "errors": form_errors(request, error),
        }, status=error.status)
    return redirect(urls.group(group["slug"]))


async def show(request: Request) -> Response:
    node = node_of(request)
    group = groups.get(node, request.path_params["slug"])
    account = current_account(request)
    sort = request.query_params.get("sort", "") or "activity"
    if sort not in posts.TOPIC_ORDERS:
        raise paging.BadPage("find.bad_sort")
    params = {"sort": sort if sort != "activity" else ""} | {"page": request.query_params.get("page", "")}
    nav = paging.of_request(request.query_params.get("page"), posts.count_topics_in_group(node.db, group["id"]),
                            urls.group(group["slug"]), params)
    rows = posts.topics_in_group(node.db, group["id"], nav.page.size, nav.page.offset, order=sort)
    return render(request, "group.html", {
        "group": group,
        "topics": reads.with_unread(node, blocks.visible(node, rows, account), account),
        "sort": sort,
        "sorts": [(name, urls.group(group["slug"]) + paging.query_for({"sort": name if name != "activity" else ""}, 1))
                  for name in posts.TOPIC_ORDERS],
        "paging": nav,
        "following": account is not None and group_store.follows(node.db, group["id"], account["id"]),
        "ban": group_store.active_ban(node.db, group["id"], account["id"], node.now()) if account else None,
        "rules": rules.of_group(node, group),
        "may_edit_rules": rules.may_edit_group(node, account, group),
        "moderator": account is not None and moderation.may_moderate_group(node, account, group),
    })


async def follow(request: Request) -> Response:
    account = require_account(request)
    form = await read_form(request)
    groups.follow(node_of(request), account, request.path_params["slug"])
    return redirect(safe_next(field(form, "next"), urls.group(request.path_params["slug"])))  # /welcome comes back


async def unfollow(request: Request) -> Response:
    account = require_account(request)
    await read_form(request)
    groups.unfollow(node_of(request), account, request.path_params["slug"])
    return redirect(urls.group(request.path_params["slug"]))


async def feed(request: Request) -> Response:
    node = node_of(request)
    group = groups.get(node, request.path_params["slug"])
    entries = blocks.visible(node, posts.topics_in_group(node.db, group["id"], limit=30), None)
    return feeds.response(request, group["name"], urls.group(group["slug"]), entries)
