"""Notifications: mentions, replies (as mentions), favourites."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.api import auth, entities, present
from node.api.respond import ApiError, endpoint, json, limit, link_header, paging_id, params, path_id, strings
from node.web import node_of
from storage import accounts, notifications, posts
from storage.db import Row

OUR_KINDS = {"mention": ["mention", "reply"], "favourite": ["like"], "follow": ["follow"], "reblog": ["reblog"],
             "status": ["status", "topic_reply", "tag_post"]}


def _entities(request: Request, me: Row, rows: list[Row]) -> list[dict]:
    node = node_of(request)
    result = []
    for row in rows:
        sender = accounts.by_id(node.db, row["from_account"])
        post = posts.by_id(node.db, row["post_id"]) if row["post_id"] else None
        if sender is None or (row["post_id"] and post is None):
            continue
        status = present.status(node, post, me) if post is not None and not post["deleted_at"] else None
        result.append(entities.notification(row, present.account(node, sender), status))
    return result


@endpoint
async def index(request: Request) -> Response:
    me = auth.member(request, "read:notifications")
    values = await params(request)
    kinds = [kind for t in strings(values, "types") for kind in OUR_KINDS.get(t, [])]
    excluded = [kind for t in strings(values, "exclude_types") for kind in OUR_KINDS.get(t, [])]
    rows = notifications.page(node_of(request).db, me["id"], kinds=kinds if strings(values, "types") else None,
                              excluded=excluded, max_id=paging_id(values, "max_id"),
                              since_id=paging_id(values, "since_id"), min_id=paging_id(values, "min_id"),
                              limit=limit(values, 15, 30))
    items = _entities(request, me, rows)
    return json(items, headers=link_header(request, items))


@endpoint
async def show(request: Request) -> Response:
    me = auth.member(request, "read:notifications")
    row = notifications.get(node_of(request).db, path_id(request), me["id"])
    items = _entities(request, me, [row]) if row else []
    if not items:
        raise ApiError(404, "Record not found")
    return json(items[0])


@endpoint
async def clear(request: Request) -> Response:
    me = auth.member(request, "write:notifications")
    node = node_of(request)
    notifications.mark_read(node.db, me["id"], node.now())
    return json({})
