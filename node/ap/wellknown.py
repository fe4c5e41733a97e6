"""WebFinger (members, groups, the organisation and the domain itself, FEP-d556), host-meta, NodeInfo."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation import discovery, ids
from node import __version__
from node.ap.respond import activity_json, base, node_of
from node.services.accounts import registration_mode
from storage import accounts, groups, posts

JRD = "application/jrd+json"


def _error(status: int, message: str) -> Response:
    return activity_json({"error": message}, status, media_type="application/json")


async def webfinger(request: Request) -> Response:
    node = node_of(request)
    base_url = base(request)
    domain = node.config["node.domain"]
    resource = request.query_params.get("resource", "").strip()
    if not resource:
        return _error(400, "resource parameter is required")
    if resource in (base_url, base_url + "/", f"acct:{domain}@{domain}"):
        subject, actor, page = resource, ids.organisation(base_url), base_url + "/"
        return activity_json(discovery.webfinger(subject, actor, page), media_type=JRD)
    local_path = ids.local_path(base_url, resource)
    if local_path is not None:
        name = local_path.rstrip("/").rsplit("/", 1)[-1]
    else:
        try:
            name, host = discovery.parse_handle(resource)
        except discovery.BadHandle:
            return _error(400, "resource must be acct:name@domain or one of our URLs")
        if host != domain.lower():
            return _error(404, f"{host} is not this server")
    name = name.lower()
    subject = f"acct:{name}@{domain}"
    if name == node.config.organisation_handle:
        return activity_json(discovery.webfinger(subject, ids.organisation(base_url), base_url + "/"),
                             media_type=JRD)
    account = accounts.local_by_username(node.db, name)
    if account is not None and not account["disabled"]:
        uri = ids.member(base_url, account["username"])
        return activity_json(discovery.webfinger(subject, uri, uri), media_type=JRD)
    group = groups.local_by_slug(node.db, name)
    if group is not None:
        uri = ids.group(base_url, group["slug"])
        return activity_json(discovery.webfinger(subject, uri, uri), media_type=JRD)
    return _error(404, f"no one called {name} here")


async def host_meta(request: Request) -> Response:
    return Response(discovery.host_meta(base(request)), media_type="application/xrd+xml")


async def nodeinfo_links(request: Request) -> Response:
    return activity_json(discovery.nodeinfo_links(base(request)), media_type="application/json")


async def nodeinfo(request: Request) -> Response:
    node = node_of(request)
    counts = posts.counts(node.db)
    document = discovery.nodeinfo(
        __version__, accounts.count(node.db), counts.get("topics", 0) + counts.get("blog_posts", 0),
        counts.get("replies", 0), registration_mode(node) != "closed", node.config["node.name"],
    )
    return activity_json(document, media_type=(
        'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'))
