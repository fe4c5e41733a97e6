"""WebFinger (members, groups, the organisation and the domain itself, FEP-d556), host-meta, NodeInfo."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from federation import discovery, ids
from node import __version__
from node.ap.respond import activity_json, base, node_of
from node.services import node_settings
from node.services.accounts import registration_mode
from node.services.context import Node
from storage import accounts, groups, posts

JRD = "application/jrd+json"


SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")  # RFC 3986 section 3.1
HANDLE_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class BadResource(Exception):
    """A resource WebFinger cannot answer: 400 when it is malformed, 404 when it is not ours (RFC 7033)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str) -> Response:
    return activity_json({"error": message}, status, media_type="application/json")


def wanted(resource: str, base_url: str, domain: str) -> tuple[str, str]:
    """What a resource names: ("organisation", ""), ("member", name) or ("group", slug) from one of our
    actor URLs exactly, or ("name", name) from acct:name@domain (or a bare name@domain). Pure."""
    if not resource:
        raise BadResource(400, "resource parameter is required")
    if resource in (base_url, base_url + "/", f"acct:{domain}@{domain}"):
        return "organisation", ""
    scheme = SCHEME.match(resource)
    if scheme is None:  # not a URI; a bare handle is accepted as Mastodon does
        name, host = _handle(resource)
    elif scheme.group().lower() == "acct:":
        name, host = _handle(resource[5:])
    elif scheme.group().lower() in ("http:", "https:"):
        found = ids.parse_actor(base_url, resource)
        if found is None:
            raise BadResource(404, "not one of our actors")
        return found
    else:
        raise BadResource(404, f"no {scheme.group()} resources here")
    if host != domain.lower():
        raise BadResource(404, f"{host} is not this server")
    return "name", name.lower()


def _handle(text: str) -> tuple[str, str]:
    try:
        name, host = discovery.parse_handle(text)
    except discovery.BadHandle:
        raise BadResource(400, "resource must be acct:name@domain or one of our URLs") from None
    if not HANDLE_NAME.fullmatch(name):
        raise BadResource(400, "resource must be acct:name@domain or one of our URLs")
    return name, host


def _actor(node: Node, base_url: str, kind: str, name: str) -> tuple[str, str] | None:
    """The actor id and profile page of what was asked for, if it is here."""
    if kind == "organisation" or (kind == "name" and name == node.config.organisation_handle):
        return ids.organisation(base_url), base_url + "/"
    if kind in ("member", "name"):
        account = accounts.local_by_username(node.db, name)
        if account is not None and not account["disabled"]:
            uri = ids.member(base_url, account["username"])
            return uri, uri
    if kind in ("group", "name"):
        group = groups.local_by_slug(node.db, name)
        if group is not None:
            uri = ids.group(base_url, group["slug"])
            return uri, uri
    return None


async def webfinger(request: Request) -> Response:
    node = node_of(request)
    base_url = base(request)
    domain = node.config["node.domain"]
    resource = request.query_params.get("resource", "").strip()
    try:
        kind, name = wanted(resource, base_url, domain)
    except BadResource as error:
        return _error(error.status, str(error))
    found = _actor(node, base_url, kind, name)
    if found is None:
        return _error(404, f"no one called {name} here")
    if kind == "organisation" and resource != ids.organisation(base_url):
        subject = resource  # the domain itself (FEP-d556)
    else:
        subject = f"acct:{node.config.organisation_handle if kind == 'organisation' else name}@{domain}"
    return activity_json(discovery.webfinger(subject, *found), media_type=JRD)


async def host_meta(request: Request) -> Response:
    return Response(discovery.host_meta(base(request)), media_type="application/xrd+xml")


async def nodeinfo_links(request: Request) -> Response:
    return activity_json(discovery.nodeinfo_links(base(request)), media_type="application/json")


async def nodeinfo(request: Request) -> Response:
    node = node_of(request)
    counts = posts.counts(node.db)
    document = discovery.nodeinfo(
        __version__, accounts.count(node.db), counts.get("topics", 0) + counts.get("blog_posts", 0),
        counts.get("replies", 0), registration_mode(node) != "closed", node_settings.current(node).name,
    )
    return activity_json(document, media_type=(
        'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'))
