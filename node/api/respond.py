"""Answers of the client API: JSON, Mastodon-style errors, Link paging headers, parameters."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from node.i18n import translate
from node.services.errors import ServiceError

MAX_BODY = 256_000


class ApiError(Exception):
    """Becomes {"error": ..., "error_description": ...} with its status."""

    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.description = description or error


def json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=headers)


def error_response(error: ApiError) -> Response:
    return json({"error": error.error, "error_description": error.description}, error.status)


async def params(request: Request) -> dict[str, Any]:
    """Query, form or JSON parameters as one dict; `name[]` repeated become lists (as Rails reads them)."""
    values: dict[str, Any] = {}
    _merge(values, request.query_params.multi_items())
    if request.method in ("POST", "PUT", "PATCH"):
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise ApiError(413, "Request too large")
        body = await request.body()
        if len(body) > MAX_BODY:
            raise ApiError(413, "Request too large")
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json" and body.strip():
            try:
                parsed = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise ApiError(400, "Invalid JSON body") from None
            if not isinstance(parsed, dict):
                raise ApiError(400, "The JSON body must be an object")
            values.update(parsed)
        elif kind in ("application/x-www-form-urlencoded", "multipart/form-data") and body:
            try:
                form: FormData = await request.form(max_files=0, max_fields=200)
            except Exception as error:  # the multipart parser raises several unrelated types
                raise ApiError(400, "Invalid form body") from error
            _merge(values, [(k, v) for k, v in form.multi_items() if isinstance(v, str)])
    return values


MAX_UPLOAD_FILES = 4  # file and thumbnail (media), avatar and header (update_credentials)


async def upload_params(request: Request, config: Any) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    """Like params, but a multipart body may carry files: ({field: value}, {field: (file name, bytes)}).

    The body may be as large as web.upload_limit (body_limit.py holds these paths to it as they
    stream); each file is read to media.max_file_bytes + 1 bytes, so that one byte over still says
    "too large" (the media service answers 413). Anything but multipart is read by params."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "multipart/form-data":
        return await params(request), {}
    from node.body_limit import BodyTooLarge  # not at the top: body_limit imports this module
    from node.web import upload_limit

    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > upload_limit(config):
        raise ApiError(413, "Request too large")
    try:
        form = await request.form(max_files=MAX_UPLOAD_FILES, max_fields=200,
                                  max_part_size=int(config["limits.form_max_bytes"]))
    except BodyTooLarge:
        raise
    except Exception as error:  # the multipart parser raises several unrelated types
        raise ApiError(400, "Invalid form body") from error
    values: dict[str, Any] = {}
    uploads: dict[str, tuple[str, bytes]] = {}
    try:
        _merge(values, request.query_params.multi_items())
        _merge(values, [(k, v) for k, v in form.multi_items() if isinstance(v, str)])
        for key, value in form.multi_items():
            if isinstance(value, UploadFile) and value.filename and key not in uploads:
                uploads[key] = (value.filename, await value.read(int(config["media.max_file_bytes"]) + 1))
    finally:
        await form.close()
    return values, uploads


def _merge(values: dict[str, Any], items: Sequence[tuple[str, str]]) -> None:
    for key, value in items:
        if key.endswith("[]"):
            values.setdefault(key[:-2], []).append(value)
        else:
            values[key] = value


def text(values: dict[str, Any], name: str, default: str = "") -> str:
    value = values.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise ApiError(422, f"Validation failed: {name} must be a string")
    return value


def strings(values: dict[str, Any], name: str) -> list[str]:
    value = values.get(name)
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item) for item in items]


def flag(values: dict[str, Any], name: str) -> bool:
    value = values.get(name)
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true", "on", "yes"))


def link_header(request: Request, items: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Link: <...max_id=oldest>; rel="next", <...min_id=newest>; rel="prev", as Mastodon pages."""
    if not items:
        return {}
    base = str(request.url.replace(query=""))
    keep = {k: v for k, v in request.query_params.items() if k not in ("max_id", "min_id", "since_id")}
    next_url = f"{base}?{urlencode(keep | {'max_id': items[-1]['id']})}"
    prev_url = f"{base}?{urlencode(keep | {'min_id': items[0]['id']})}"
    return {"Link": f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'}


Handler = Callable[[Request], Awaitable[Response]]


def endpoint(handler: Handler) -> Handler:
    """Errors of an API handler as Mastodon-style JSON, never an HTML page."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error)
        except ServiceError as error:
            message = translate("en", error.message_key, **error.params)
            status = 422 if error.status in (400, 409) else error.status
            return error_response(ApiError(status, message if status != 404 else "Record not found", message))

    return wrapped


def limit(values: dict[str, Any], default: int = 20, maximum: int = 40) -> int:
    raw = text(values, "limit", str(default))
    return max(1, min(int(raw), maximum)) if raw.isdigit() else default


def paging_id(values: dict[str, Any], name: str) -> int | None:
    """max_id, since_id or min_id as a number; absent or not a number is no bound."""
    raw = text(values, name)
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def path_id(request: Request, name: str = "id") -> int:
    """An id in the path; anything else is a 404, as Mastodon answers."""
    raw = str(request.path_params.get(name, ""))
    if not raw.isdigit() or len(raw) > 18:
        raise ApiError(404, "Record not found")
    return int(raw)
