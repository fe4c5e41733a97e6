"""Our actors as ActivityStreams: members (Person), groups (Group), the organisation (Organization)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from federation import ids, vocab
from node.ap.respond import activity_json, base, node_of, not_found
from node.services import actor_objects
from storage import accounts, groups


async def person(request: Request) -> Response:
    node = node_of(request)
    account = accounts.local_by_username(node.db, request.path_params["name"])
    if account is not None and account["deleted_at"]:  # gone for good: remote caches may drop it
        uri = ids.member(base(request), account["username"])
        return activity_json({"@context": vocab.CONTEXT, "id": uri, "type": "Tombstone", "formerType": "Person",
                              "deleted": account["deleted_at"]}, 410)
    doc = actor_objects.person(node, account) if account is not None and not account["disabled"] else None
    if doc is None:
        return not_found("no such member")
    return activity_json(doc)


async def group(request: Request) -> Response:
    node = node_of(request)
    record = groups.local_by_slug(node.db, request.path_params["slug"])
    doc = actor_objects.group(node, record) if record is not None else None
    if doc is None:
        return not_found("no such group")
    return activity_json(doc)


async def organisation(request: Request) -> Response:
    node = node_of(request)
    doc = actor_objects.organisation(node)
    if doc is None:
        return not_found("no organisation key")
    return activity_json(doc)
