"""Tag pages, their feeds, and search."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node import feeds, markup, urls
from node.services import blocks, topic_subscriptions
from node.services.errors import NotFound
from node.web import current_account, node_of, render
from storage import posts
from storage import search as search_store

QUERY_MAX = 200


def _tag(request: Request) -> str:
    tag = markup.normalise_tag(request.path_params["tag"])
    if not tag or not markup.HASHTAG.fullmatch("#" + tag):
        raise NotFound("error.post_not_found")
    return tag


async def show(request: Request) -> Response:
    tag = _tag(request)
    node = node_of(request)
    viewer = current_account(request)
    entries = blocks.visible(node, posts.by_tag(node.db, tag), viewer)
    return render(request, "tag.html", {"tag": tag, "entries": entries,
                                        "tag_following": topic_subscriptions.follows_tag(node, viewer, tag)})


async def feed(request: Request) -> Response:
    tag = _tag(request)
    node = node_of(request)
    return feeds.response(request, f"#{tag}", urls.tag(tag), blocks.visible(node, posts.by_tag(node.db, tag, 30), None))


async def search(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()[:QUERY_MAX]
    db = node_of(request).db
    results = []
    if query:
        ids = search_store.search(db, query)
        found = {row["id"]: row for row in posts.by_ids(db, ids)}
        # Only what a visitor may see: published, not deleted, in a visible thread.
        results = [found[i] for i in ids if i in found and posts.is_visible(found[i])]
        results = blocks.visible(node_of(request), results, current_account(request))
    return render(request, "search.html", {"q": query, "results": results})
