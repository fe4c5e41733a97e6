"""Timelines: home (what the member follows), public (local or remote only, on request), tag."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federation import ids
from node import markup
from node.api import auth, present
from node.api.respond import endpoint, flag, json, limit, link_header, paging_id, params
from node.services import blocks
from node.web import node_of
from storage import timelines
from storage.db import Row


def _page(request: Request, values: dict[str, Any], viewer: Row | None, where: str, args: list[Any],
          join: str = "") -> Response:
    node = node_of(request)
    rows = timelines.page(node.db, where, args, limit=limit(values), max_id=paging_id(values, "max_id"),
                          since_id=paging_id(values, "since_id"), min_id=paging_id(values, "min_id"), join=join)
    items = present.statuses(node, blocks.visible(node, rows, viewer), viewer)
    return json(items, headers=link_header(request, items))


@endpoint
async def home(request: Request) -> Response:
    me = auth.member(request, "read:statuses")
    values = await params(request)
    where, args = timelines.home_where(me["id"], ids.member(node_of(request).config.base_url, me["username"]))
    return _page(request, values, me, where, args)


@endpoint
async def public(request: Request) -> Response:
    viewer = auth.optional_member(request, "read:statuses")
    values = await params(request)
    where = "1"
    if flag(values, "local"):
        where = "posts.uri IS NULL"
    elif flag(values, "remote"):
        where = "posts.uri IS NOT NULL"
    return _page(request, values, viewer, where, [])


@endpoint
async def tag(request: Request) -> Response:
    viewer = auth.optional_member(request, "read:statuses")
    values = await params(request)
    name = markup.normalise_tag(str(request.path_params["tag"]))
    where = "tagged.tag = ?"
    if flag(values, "local"):
        where += " AND posts.uri IS NULL"
    return _page(request, values, viewer, where, [name], join="JOIN post_tags tagged ON tagged.post_id = posts.id")
