"""Serving stored files: `/media/{hash}` (and `/media/{hash}/{name}`, the name only for the download
dialog). Content-addressed, so an answer never changes: cached for a year. Images are shown inline,
documents only downloaded; neither can run anything (their own CSP sandbox, nosniff, the type we
found from the bytes)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from node.services import media_remote, media_store, sniff
from node.services.errors import NotFound
from node.web import node_of
from storage import media

NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
FILE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "public, max-age=31536000, immutable",
    "Cross-Origin-Resource-Policy": "cross-origin",  # apps and servers show our images too
}


def file_response(request: Request, file_hash: str, name: str = "") -> Response:
    """One stored file, with the headers that keep it inert."""
    node = node_of(request)
    row = media.file(node.db, file_hash) if media_store.HASH.match(file_hash) else None
    path = media_store.path_of(node.config.media_path, file_hash) if row is not None else None
    if row is None or path is None or not path.is_file():
        raise NotFound("error.media_not_found")
    media_type = row["media_type"]
    inline = media_type in sniff.IMAGE_TYPES
    filename = name if NAME.match(name) else f"{file_hash[:16]}.{sniff.EXTENSIONS.get(media_type, 'bin')}"
    disposition = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    headers = {**FILE_HEADERS, "Content-Disposition": disposition, "ETag": f'"{file_hash}"'}
    if request.headers.get("if-none-match") == f'"{file_hash}"':
        return Response(status_code=304, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)


async def serve(request: Request) -> Response:
    return file_response(request, request.path_params["hash"], request.path_params.get("name", ""))


async def serve_remote(request: Request) -> Response:
    """Our copy of another server's file, fetched now when we hold none (only URLs a stored object
    named: any other hash is a 404, so this is no open proxy)."""
    node = node_of(request)
    remote = node.federation.remote_media if node.federation is not None else None
    file_hash = await media_remote.copy_of(node, remote, request.path_params["url_hash"])
    return file_response(request, file_hash)
