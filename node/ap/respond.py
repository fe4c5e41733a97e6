"""Answering with ActivityStreams JSON."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from federation import vocab
from node.services.context import Node

ACTIVITY_JSON = "application/activity+json"
PAGE_SIZE = 50


def wants_activity(accept: str) -> bool:
    accept = accept.lower()
    return "application/activity+json" in accept or "application/ld+json" in accept


def activity_json(obj: Any, status: int = 200, *, request: Request | None = None, cacheable: bool = False,
                  media_type: str = ACTIVITY_JSON) -> Response:
    """JSON with an ETag; a matching If-None-Match gets 304 (FEP-7888 asks for cheap re-asks)."""
    body = orjson.dumps(obj)
    headers = {"Vary": "Accept", "Access-Control-Allow-Origin": "*"}
    if cacheable:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers["ETag"] = etag
        if request is not None and request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def not_found(message: str = "not found") -> Response:
    return Response(orjson.dumps({"error": message}), status_code=404, media_type="application/json")


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def base(request: Request) -> str:
    return node_of(request).config.base_url


def page_number(request: Request) -> int | None:
    raw = request.query_params.get("page")
    if raw is None:
        return None
    return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else 1


def paged(request: Request, uri: str, total: int, items: Callable[[int, int], list[Any]],
          extra: dict[str, Any] | None = None, cacheable: bool = False) -> Response:
    """A collection that links its first page, or the page asked for with ?page=N (OrderedCollectionPage)."""
    page = page_number(request)
    if page is None:
        collection = vocab.ordered_collection(uri, total, first=f"{uri}?page=1") | (extra or {})
        return activity_json(collection, request=request, cacheable=cacheable)
    found = items(PAGE_SIZE, (page - 1) * PAGE_SIZE)
    next_page = f"{uri}?page={page + 1}" if page * PAGE_SIZE < total else None
    return activity_json(vocab.collection_page(f"{uri}?page={page}", uri, found, next_page) | (extra or {}),
                         request=request, cacheable=cacheable)
