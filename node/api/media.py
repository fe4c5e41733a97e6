"""Media: uploading an attachment (v1 and v2 answer alike: processing is done before the answer), and
reading or describing one's own upload. A status takes the uploads by media_ids (node/api/statuses.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from node.api import auth, present
from node.api.respond import ApiError, endpoint, json, params, path_id, text, upload_params
from node.services import media
from node.web import node_of


@endpoint
async def create(request: Request) -> Response:
    me = auth.member(request, "write:media")
    node = node_of(request)
    values, uploads = await upload_params(request, node.config)
    if "file" not in uploads:
        raise ApiError(422, "Validation failed: File can't be blank")
    name, data = uploads["file"]
    if text(values, "focus"):
        media.check_focus(text(values, "focus"))  # before anything is stored
    row = await media.upload(node, me, data, name, text(values, "description"))
    if text(values, "focus"):
        row = media.describe(node, me, row["id"], None, text(values, "focus"))
    return json(present.media_attachment(node, row))


@endpoint
async def show(request: Request) -> Response:
    me = auth.member(request, "write:media")
    node = node_of(request)
    return json(present.media_attachment(node, media.own(node, me, path_id(request))))


@endpoint
async def update(request: Request) -> Response:
    me = auth.member(request, "write:media")
    node = node_of(request)
    values = await params(request)
    description = text(values, "description") if "description" in values else None
    row = media.describe(node, me, path_id(request), description, text(values, "focus") or None)
    return json(present.media_attachment(node, row))
