"""Our actors as ActivityStreams: members (Person), groups (Group), the organisation (Organization)."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import Response

from federation import ids, vocab
from node.ap.respond import activity_json, base, node_of, not_found
from storage import accounts, groups, keys


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n") if part.strip())


async def person(request: Request) -> Response:
    node = node_of(request)
    account = accounts.local_by_username(node.db, request.path_params["name"])
    if account is not None and account["deleted_at"]:  # gone for good: remote caches may drop it
        uri = ids.member(base(request), account["username"])
        return activity_json({"@context": vocab.CONTEXT, "id": uri, "type": "Tombstone", "formerType": "Person",
                              "deleted": account["deleted_at"]}, 410)
    key = keys.get(node.db, f"user:{account['username']}") if account else None
    if account is None or key is None or account["disabled"]:
        return not_found("no such member")
    return activity_json(vocab.person(base(request), account, key["public_pem"], _paragraphs(account["about"])))


async def group(request: Request) -> Response:
    node = node_of(request)
    record = groups.local_by_slug(node.db, request.path_params["slug"])
    key = keys.get(node.db, f"group:{record['slug']}") if record else None
    if record is None or key is None:
        return not_found("no such group")
    return activity_json(vocab.group(base(request), record, key["public_pem"], []))


async def organisation(request: Request) -> Response:
    node = node_of(request)
    key = keys.get(node.db, "organisation")
    if key is None:
        return not_found("no organisation key")
    config = node.config
    return activity_json(vocab.organisation(base(request), config.organisation_handle, config["node.name"],
                                            key["public_pem"]))
