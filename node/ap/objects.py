"""Posts as ActivityStreams objects, their threads (FEP-7888 context) and replies, our activities."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation import ids, vocab
from node.ap.respond import activity_json, base, node_of, not_found, paged
from node.services.context import Node
from node.services.post_objects import object_of
from storage import activities, posts
from storage.db import Row


def _visible_local(node: Node, post_id: int) -> Row | None:
    post = posts.by_id(node.db, post_id) if 0 < post_id < 2**63 else None
    if post is None or post["state"] != "published":
        return None
    return post


async def post(request: Request) -> Response:
    node = node_of(request)
    found = _visible_local(node, request.path_params["post_id"])
    if found is None:
        return not_found("no such post")
    if found["uri"]:  # another server's post: its own id is the authority
        return RedirectResponse(found["uri"], status_code=302)
    return activity_json(object_of(node, found), 410 if found["deleted_at"] or found["removed_at"] else 200)


async def context(request: Request) -> Response:
    """The whole thread as an OrderedCollection of post ids, with an ETag."""
    node = node_of(request)
    root = _visible_local(node, request.path_params["post_id"])
    if root is None or root["id"] != root["topic_id"] or root["uri"]:
        return not_found("no such thread")
    base_url = base(request)
    items = [vocab.post_uri(base_url, row) for row in posts.thread(node.db, root["id"])]
    owner = vocab.group_uri(base_url, root) or vocab.author_uri(base_url, root)
    return paged(request, ids.context(base_url, root["id"]), len(items),
                 lambda limit, offset: items[offset:offset + limit], {"attributedTo": owner}, cacheable=True)


async def replies(request: Request) -> Response:
    node = node_of(request)
    parent = _visible_local(node, request.path_params["post_id"])
    if parent is None:
        return not_found("no such post")
    base_url = base(request)
    items = [vocab.post_uri(base_url, row) for row in posts.thread(node.db, parent["topic_id"])
             if row["parent_id"] == parent["id"]]
    uri = f"{ids.post(base_url, parent['id'])}/replies"
    return paged(request, uri, len(items), lambda limit, offset: items[offset:offset + limit], cacheable=True)


async def activity(request: Request) -> Response:
    node = node_of(request)
    row = activities.by_uri(node.db, ids.activity(base(request), request.path_params["activity_id"]))
    if row is None:
        return not_found("no such activity")
    return activity_json(orjson.loads(row["body"]))
