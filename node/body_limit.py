"""Bounded request bodies on every route, whether the client sends Content-Length or chunks.

A handler that reads the whole body (request.body(), request.json()) would otherwise hold a
150 MB chunked upload in memory before any size check could run. This middleware counts the
bytes as they pass through `receive` and never hands on more than the route's limit:

- clients and servers (the client API, OAuth, ActivityPub inboxes) get a JSON 413 at once when
  Content-Length is over the limit, before a byte is read, and as soon as a chunked body passes it;
- web forms get the app's own friendly error page: `receive` raises a FormTooLarge, which the
  app's handler for it renders (read_form also checks Content-Length itself).

An answer after a refusal, or before a chunked body was read to its end, closes the connection,
so the server does not read the rest of an upload only to throw it away.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from federation import inbox
from node.api import respond
from node.web import FormTooLarge

INBOX = re.compile(r"^/(?:inbox|organisation/inbox|users/[^/]+/inbox|groups/[^/]+/inbox)/?$")
API_PREFIXES = ("/api/", "/oauth/")
UPLOAD_API = re.compile(r"^/api/v[12]/media/?$|^/api/v1/accounts/update_credentials/?$")
BROWSER_PATHS = ("/oauth/authorize",)  # the OAuth consent form is a web form (read_form)

log = logging.getLogger("meent.federation")

INBOX_REFUSAL = b'{"error":"activity too large"}'
API_REFUSAL = b'{"error":"Request too large","error_description":"The request body is over the size limit"}'


@dataclass(frozen=True)
class Family:
    """A kind of route: its body limit, the JSON the middleware answers (None: the app's page), and
    whether a refusal is logged (as the inbox logs its own: the admin sees what servers send)."""

    limit: int
    refusal: bytes | None = None
    logged: bool = False


def family_of(path: str, form_limit: int, upload_limit: int | None = None) -> Family:
    """The limit for a path. Pure. Web forms may carry files: their limit here is the upload limit,
    and read_form holds forms without files to form_limit itself."""
    upload = upload_limit or form_limit
    if INBOX.match(path):
        return Family(inbox.MAX_BODY, INBOX_REFUSAL, logged=True)
    if UPLOAD_API.match(path):
        return Family(upload, API_REFUSAL)
    if path.startswith(API_PREFIXES) and path.rstrip("/") not in BROWSER_PATHS:
        return Family(respond.MAX_BODY, API_REFUSAL)
    return Family(upload)


def declared_length(scope: Scope) -> int | None:
    """Content-Length as a number, or None when absent (chunked) or not a number (the server refuses those)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyTooLarge(Exception):
    """The body of a client or server request passed its limit; the middleware answers 413."""


class FormBodyTooLarge(FormTooLarge):
    """The body of a web form passed its limit; the app's handler shows the error page."""


class CountedReceive:
    """`receive` that hands on at most `limit` body bytes, then raises instead of reading on."""

    def __init__(self, receive: Receive, family: Family, over: bool) -> None:
        self.receive = receive
        self.family = family
        self.size = 0
        self.refused = over  # Content-Length alone is over the limit: not one byte is read
        self.complete = False
        self.response_started = False

    async def __call__(self) -> Message:
        if self.refused:
            return self._refusal()
        message = await self.receive()
        if message["type"] == "http.request":
            self.size += len(message.get("body", b""))
            if self.size > self.family.limit:
                self.refused = True
                return self._refusal()
            self.complete = not message.get("more_body", False)
        return message

    def _refusal(self) -> Message:
        if self.response_started:  # e.g. a streaming answer listening for the client to leave
            return {"type": "http.disconnect"}
        raise BodyTooLarge() if self.family.refusal is not None else FormBodyTooLarge()


class BodyLimit:
    def __init__(self, app: ASGIApp, form_limit: int, upload_limit: int | None = None) -> None:
        self.app = app
        self.form_limit = form_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        family = family_of(scope["path"], self.form_limit, self.upload_limit)
        declared = declared_length(scope)
        over = declared is not None and declared > family.limit
        if over and family.refusal is not None:
            await refuse(scope, send, family)
            return
        chunked = any(name == b"transfer-encoding" for name, _ in scope["headers"])
        counted = CountedReceive(receive, family, over)

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                counted.response_started = True
                # the server would read (and drop) whatever the app left unread: not past the limit
                if counted.refused or over or ((chunked or bool(declared)) and not counted.complete):
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        try:
            await self.app(scope, counted, send_closing)
        except BodyTooLarge:
            if counted.response_started:
                raise
            await refuse(scope, send, family)


async def refuse(scope: Scope, send: Send, family: Family) -> None:
    """413 with a JSON body; the connection closes after it, so the rest of the upload is never read."""
    body = family.refusal or b""
    if family.logged:
        client = scope["client"][0] if scope.get("client") else "?"
        agent = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"user-agent"), "")
        log.warning("inbox %s refused a request from %s (%s): activity too large", scope["path"], client, agent[:80])
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]})
    await send({"type": "http.response.body", "body": body})
