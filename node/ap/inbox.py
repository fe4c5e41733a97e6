"""POST /inbox and every actor's inbox: the HTTP door of federation/inbox.py.

The body is read in chunks and refused with 413 as soon as it passes the limit, whatever the
Content-Length says; refusals are logged with their reason at warning level, so an admin sees
what other servers send that we turn away.
"""

from __future__ import annotations

import logging

import orjson
from starlette.requests import Request
from starlette.responses import Response

from federation.inbox import MAX_BODY, Refused
from node.services.context import Node
from storage import accounts, groups

log = logging.getLogger("meent.federation")


def _local_inbox_exists(request: Request, node: Node) -> bool:
    if "name" in request.path_params:
        account = accounts.local_by_username(node.db, request.path_params["name"])
        return account is not None and not account["disabled"]
    if "slug" in request.path_params:
        return groups.local_by_slug(node.db, request.path_params["slug"]) is not None
    return True


async def receive(request: Request) -> Response:
    node: Node = request.app.state.node
    if not _local_inbox_exists(request, node):
        return _json({"error": "no such inbox"}, 404)
    runtime = node.federation
    assert runtime is not None, "the federation runtime starts with the app"
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.scope["headers"]}
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    try:
        body = await _read_body(request)
        await runtime.inbox.accept(request.method, target, headers, body)
    except Refused as refused:
        client = request.client.host if request.client else "?"
        log.warning("inbox %s refused a request from %s (%s): %s", request.url.path, client,
                    headers.get("user-agent", "")[:80], refused.reason)
        return _json({"error": refused.reason}, refused.status)
    return Response(status_code=202)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, "activity too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, "activity too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(obj: object, status: int) -> Response:
    return Response(orjson.dumps(obj), status_code=status, media_type="application/json")
