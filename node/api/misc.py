"""Markers, preferences, and the empty but valid answers apps ask for (lists, filters, emojis, ...)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.api import auth
from node.api.entities import api_time
from node.api.respond import ApiError, endpoint, json, params, strings, text
from node.web import node_of
from storage import tokens

TIMELINES = ("home", "notifications")


@endpoint
async def empty_list(request: Request) -> Response:
    auth.optional_member(request, "read")
    return json([])


@endpoint
async def custom_emojis(request: Request) -> Response:
    return json([])


@endpoint
async def preferences(request: Request) -> Response:
    account = auth.member(request, "read:accounts")
    return json({"posting:default:visibility": "public", "posting:default:sensitive": False,
                 "posting:default:language": account["language"] or "nl", "posting:default:quote_policy": "public",
                 "reading:expand:media": "default", "reading:expand:spoilers": False,
                 "reading:autoplay:gifs": False})


def _markers(request: Request, account_id: int, timelines: list[str]) -> dict:
    rows = tokens.markers(node_of(request).db, account_id, timelines)
    return {row["timeline"]: {"last_read_id": row["last_read_id"], "version": row["version"],
                              "updated_at": api_time(row["updated_at"])} for row in rows}


@endpoint
async def markers_get(request: Request) -> Response:
    account = auth.member(request, "read:statuses")
    values = await params(request)
    wanted = [t for t in strings(values, "timeline") if t in TIMELINES] or list(TIMELINES)
    return json(_markers(request, account["id"], wanted))


@endpoint
async def markers_set(request: Request) -> Response:
    account = auth.member(request, "write:statuses")
    values = await params(request)
    node = node_of(request)
    changed = []
    for timeline in TIMELINES:
        nested = values.get(timeline)
        last = nested.get("last_read_id") if isinstance(nested, dict) else text(values, f"{timeline}[last_read_id]")
        if last:
            if not str(last).isdigit():
                raise ApiError(422, "Validation failed: last_read_id must be an id")
            tokens.set_marker(node.db, account["id"], timeline, str(last), node.now())
            changed.append(timeline)
    return json(_markers(request, account["id"], changed))


@endpoint
async def not_found(request: Request) -> Response:
    return json({"error": "Record not found", "error_description": "This Mastodon API endpoint is not supported"},
                404)
