"""Tag pages, their feeds, and search."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from node import feeds, markup, paging, search_filters, urls
from node.services import blocks, topic_subscriptions
from node.services.errors import NotFound
from node.web import current_account, node_of, render, t
from storage import accounts as account_store
from storage import groups as group_store
from storage import posts
from storage import search as search_store

QUERY_MAX = 200
GROUP_CHOICES = 200  # the group filter lists this many of our groups


def _tag(request: Request) -> str:
    tag = markup.normalise_tag(request.path_params["tag"])
    if not tag or not markup.HASHTAG.fullmatch("#" + tag):
        raise NotFound("error.post_not_found")
    return tag


async def show(request: Request) -> Response:
    tag = _tag(request)
    node = node_of(request)
    viewer = current_account(request)
    # left out in SQL, so that the pages are full and their number right
    hidden = blocks.hidden_authors_among(
        node, viewer, lambda uri, hidden: posts.remote_authors_by_tag(node.db, tag, uri, hidden), capped=True)
    nav = paging.of_request(request.query_params.get("page"), posts.count_by_tag(node.db, tag, hidden), urls.tag(tag),
                            {})  # a list without filters: its links carry only the page
    # and on each page, for an author only older posts than that look reached show
    entries = blocks.visible(node, posts.by_tag(node.db, tag, nav.page.size, nav.page.offset, hidden), viewer)
    return render(request, "tag.html", {"tag": tag, "entries": entries, "paging": nav,
                                        "tag_following": topic_subscriptions.follows_tag(node, viewer, tag)})


async def feed(request: Request) -> Response:
    tag = _tag(request)
    node = node_of(request)
    return feeds.response(request, f"#{tag}", urls.tag(tag), blocks.visible(node, posts.by_tag(node.db, tag, 30), None))


def _page_suffix(params: dict[str, str]) -> str:
    page = params.get("page", "")
    if not page or page == "1":
        return ""
    return ("&" if any(v for k, v in params.items() if k != "page") else "?") + "page=" + quote(page)


async def search(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()[:QUERY_MAX]
    node = node_of(request)
    db = node.db
    params = {name: request.query_params.get(name, "") for name in ("q", "group", "author", "kind", "from", "to")}
    params["q"] = query
    if any(value == "" for value in request.query_params.values()):
        # The form sends every filter, most of them empty: the address to share or bookmark has only
        # what was chosen (the page number too is kept).
        clean = {**params, "page": request.query_params.get("page", "")}
        return RedirectResponse("/search" + paging.query_for(clean, 1) + _page_suffix(clean), status_code=302)
    wanted = search_filters.parse(params, node_of(request).config["node.timezone"])
    group = group_store.by_slug(db, wanted.group) if wanted.group else None
    if wanted.group and group is None:
        wanted.errors["group"] = "find.unknown_group"
    author = account_store.by_username(db, wanted.author) if wanted.author else None
    if wanted.author and author is None:
        wanted.errors["author"] = "find.unknown_author"
    context: dict[str, object] = {
        "q": query, "results": [], "values": params, "searched": False, "total": 0, "capped": False,
        "errors": {name: t(request, key) for name, key in wanted.errors.items()},
        "groups": group_store.listing(db, GROUP_CHOICES), "kinds": search_filters.KINDS,
        "paging": paging.nav(paging.Page(1, 0), "/search", {}),
    }
    if wanted.errors:
        return render(request, "search.html", context, status=400)
    filters = search_store.Filters(group_id=group["id"] if group else None, author_id=author["id"] if author else None,
                                   kind=wanted.kind or None, since=wanted.since, until=wanted.until)
    if not search_store.match_expression(query) and not filters.any:
        context["searched"] = bool(query)
        return render(request, "search.html", context)
    viewer = current_account(request)
    filters = replace(filters, hidden_authors=blocks.hidden_authors_among(
        node, viewer, lambda uri, hidden: search_store.remote_authors(
            db, query, replace(filters, hidden_authors=hidden), uri), capped=True))
    counted = search_store.count(db, query, filters)
    capped, total = counted > search_store.COUNT_CAP, min(counted, search_store.COUNT_CAP)
    nav = paging.of_request(request.query_params.get("page"), total, "/search", params)
    ids = search_store.find(db, query, filters, nav.page.size, nav.page.offset)
    found = {row["id"]: row for row in posts.by_ids(db, ids)}
    results = [found[i] for i in ids if i in found and posts.is_visible(found[i])]
    context.update(searched=True, total=total, paging=nav, capped=capped,
                   results=blocks.visible(node, results, viewer))  # past the count's cap too
    return render(request, "search.html", context)
