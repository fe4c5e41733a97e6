"""GET /api/v2/search: accounts (with resolve=true, found on other servers too), hashtags, statuses."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation import discovery
from node import markup
from node.api import auth, entities, present
from node.api.respond import endpoint, flag, json, limit, params, text
from node.services import blocks, network
from node.services.errors import ServiceError
from node.web import node_of
from storage import accounts, groups, posts, search
from storage.db import Row

TYPES = ("accounts", "hashtags", "statuses")


@endpoint
async def v2(request: Request) -> Response:
    viewer = auth.optional_member(request, "read:search")
    values = await params(request)
    node = node_of(request)
    query = text(values, "q").strip()[:200]
    wanted = text(values, "type")
    count = limit(values, 20, 40)
    result: dict[str, list[dict]] = {"accounts": [], "hashtags": [], "statuses": []}
    if not query:
        return json(result)
    if wanted in ("", "accounts"):
        result["accounts"] = await _accounts(request, query, resolve=flag(values, "resolve") and viewer is not None,
                                             count=count)
    if wanted in ("", "hashtags"):
        tag = markup.normalise_tag(query)
        names = posts.tags_starting(node.db, tag, count) if tag else []
        result["hashtags"] = [entities.tag(node.config.base_url, name) for name in names]
    if wanted in ("", "statuses"):
        found = await _status_by_url(request, query) if flag(values, "resolve") and viewer is not None else None
        ids = [found["id"]] if found is not None else search.search(node.db, query, count)
        rows = [row for row in posts.by_ids(node.db, ids) if posts.is_visible(row)]
        rows.sort(key=lambda row: ids.index(row["id"]))
        result["statuses"] = present.statuses(node, blocks.visible(node, rows, viewer), viewer)
    return json(result)


async def _accounts(request: Request, query: str, *, resolve: bool, count: int) -> list[dict]:
    node = node_of(request)
    if query.startswith(("https://", "http://")):
        return await _account_by_url(request, query, resolve=resolve)
    found: list[dict] = []
    try:
        name, domain = discovery.parse_handle(query)
    except discovery.BadHandle:
        name, domain = query.lstrip("@"), ""
    local = domain in ("", str(node.config["node.domain"]).lower())
    handle = name if local else f"{name}@{domain}"
    account = accounts.local_by_username(node.db, name) if local else accounts.by_username(node.db, handle)
    group = groups.local_by_slug(node.db, name) if local else groups.by_slug(node.db, handle)
    if account is None and group is None and not local and resolve:
        account, group = await _resolved(request, query)
    if account is not None and not account["disabled"]:
        found.append(present.account(node, account))
    if group is not None:
        found.append(present.group(node, group))
    if not found and local:
        found += [present.account(node, row) for row in accounts.search_local(node.db, name, count)]
    return found[:count]


async def _resolved(request: Request, query: str) -> tuple[Row | None, Row | None]:
    """(account, group) of a remote actor, fetched by its handle or URL and stored here."""
    node = node_of(request)
    runtime = node.runtime()
    try:
        actor = await network.resolve(node, runtime.fetcher, runtime.actors, query)
    except ServiceError:
        return None, None
    kind, row = await network.store_actor(runtime.federated.ingest, actor)
    return (row, None) if kind == "person" else (None, row)


async def _account_by_url(request: Request, url: str, *, resolve: bool) -> list[dict]:
    """An actor by its URL: one of ours, one we know, or (resolve) fetched from its server."""
    node = node_of(request)
    local = network.local_actor(node, url)
    if local is not None:
        account, group = (local[1], None) if local[0] == "person" else (None, local[1])
    else:
        account, group = accounts.by_actor_uri(node.db, url), groups.by_actor_uri(node.db, url)
    if account is None and group is None and resolve and local is None:
        account, group = await _resolved(request, url)
    if account is not None and not account["disabled"]:
        return [present.account(node, account)]
    return [present.group(node, group)] if group is not None else []


async def _status_by_url(request: Request, query: str) -> dict | None:
    """A post's URL: ours, one we have, or fetched from its server and stored with its thread."""
    if not query.startswith(("https://", "http://")):
        return None
    row = await network.resolve_post(node_of(request).runtime().federated.ingest, query)
    return dict(row) if row is not None else None
