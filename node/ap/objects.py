"""Posts as ActivityStreams objects, their threads (FEP-7888 context) and replies, our activities."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from federation import ids, vocab
from node import urls
from node.ap.respond import activity_json, base, node_of, not_found, paged
from node.services.context import Node
from storage import accounts, activities, posts
from storage.db import Row


def mentions_of(node: Node, post: Row) -> list[tuple[str, str]]:
    """(name, href) of everyone a post mentions; a reply in a remote group also mentions the group,
    so that Mastodon users who answer it address the group too."""
    base_url = node.config.base_url
    domain = node.config["node.domain"]
    found = []
    for row in posts.mentioned_accounts(node.db, post["id"]):
        if row["actor_uri"]:
            found.append((f"@{row['username']}", row["actor_uri"]))
        else:
            found.append((f"@{row['username']}@{domain}", ids.member(base_url, row["username"])))
    if post["group_domain"] and post["group_uri"]:
        found.append((f"@{post['group_slug']}", post["group_uri"]))
    if post["parent_author_id"]:  # the person answered is told, as Mastodon does
        parent_author = accounts.by_id(node.db, post["parent_author_id"])
        if parent_author is not None and parent_author["actor_uri"] and all(
                href != parent_author["actor_uri"] for _, href in found):
            found.append((f"@{parent_author['username']}", parent_author["actor_uri"]))
    return found


def object_of(node: Node, post: Row) -> dict[str, Any]:
    base_url = node.config.base_url
    tags = posts.tags_of(node.db, [post["id"]])[post["id"]]
    return vocab.post_object(base_url, post, base_url + urls.post(post), tags, mentions_of(node, post))


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
    return activity_json(object_of(node, found), 410 if found["deleted_at"] else 200)


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
