"""The inbox: accept -> verify -> dedupe -> store raw -> 202; a worker processes what was stored.

Nothing is processed that was not first stored, so a crash loses nothing; processing
is idempotent on the activity id (a redelivered activity is a no-op).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response

from federation import signatures, vocab
from federation.actors import ActorUnavailable, RemoteActors, iso
from federation.keys import load_public
from federation.policy import FederationPolicy
from storage import actors, inbox
from storage.db import Database

log = logging.getLogger("meent.federation")
MAX_BODY = 1_048_576
MAX_ATTEMPTS = 8  # with retry_wait: tried again over about four hours
PROCESS_SECONDS = 120  # one activity (with the fetches it needs) may not hold up the others longer
# Types whose object must live on the sender's own server (an Announce carries others' objects).
OWN_OBJECT_TYPES = {"Create", "Update", "Delete"}


class Refused(Exception):
    """An activity we do not accept; status and reason go back to the sender."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def retry_wait(attempts: int) -> timedelta:
    """How long to wait after a failed processing: 1 min, 2, 4, ... (a sender's server that was down
    for a moment, or a fetch that timed out, gets another chance). Pure."""
    return timedelta(minutes=2 ** min(attempts - 1, 10))


def _origin(uri: str) -> str:
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise Refused(400, f"not a URL: {uri[:100]}") from None
    return f"{parts.scheme}://{parts.netloc}".lower()


def check_shape(activity: Any) -> tuple[str, str, str]:
    """(id, type, actor) of a well-formed activity. Pure."""
    if not isinstance(activity, dict):
        raise Refused(400, "body is not a JSON object")
    activity_id, kind, actor = activity.get("id"), activity.get("type"), vocab.id_of(activity.get("actor"))
    if not isinstance(activity_id, str) or not isinstance(kind, str) or not actor:
        raise Refused(400, "activity needs id, type and actor")
    if _origin(activity_id) != _origin(actor):
        raise Refused(403, "activity id is not on the actor's server")
    object_id = vocab.id_of(activity.get("object"))
    if kind in OWN_OBJECT_TYPES and object_id and _origin(object_id) != _origin(actor):
        raise Refused(403, "object id is not on the actor's server")
    return activity_id, kind, actor


@dataclass
class Inbox:
    db: Database
    policy: FederationPolicy
    actors: RemoteActors
    wake_worker: Callable[[], None]

    async def receive(self, request: Request) -> Response:
        try:
            await self._accept(request)
        except Refused as refused:
            log.info("inbox refused %s: %s", request.url.path, refused.reason)
            return Response(orjson.dumps({"error": refused.reason}), status_code=refused.status,
                            media_type="application/json")
        return Response(status_code=202)

    async def _accept(self, request: Request) -> None:
        body = await _read_body(request)
        try:
            activity = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise Refused(400, "body is not JSON") from None
        activity_id, kind, actor = check_shape(activity)
        if not self.policy.allows(urlsplit(actor).netloc):
            raise Refused(403, "this server does not federate with your domain")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.scope["headers"]}
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        try:
            key_id = signatures.key_id_of(headers)
        except signatures.SignatureError as error:
            raise Refused(401, str(error)) from None
        if inbox.seen(self.db, activity_id):
            return  # a redelivery: already stored once
        if kind == "Delete" and vocab.id_of(activity.get("object")) == actor and not actors.get(self.db, actor):
            return  # an account we never knew was deleted: nothing to verify it with, nothing to do
        await self._verify(request.method, target, headers, body, key_id, actor)
        inbox.store(self.db, activity_id, actor, kind, body.decode("utf-8", "replace"), iso(datetime.now(UTC)))
        self.wake_worker()

    async def _verify(self, method: str, target: str, headers: Mapping[str, str], body: bytes, key_id: str,
                      actor: str) -> None:
        """Verify with the cached key; on failure fetch the actor again once (it may have rotated its key)."""
        for refresh in (False, True):
            try:
                owner = await self.actors.by_key_id(key_id, refresh=refresh)
            except ActorUnavailable as error:
                raise Refused(401, f"cannot get the signing key: {error}") from None
            if owner["uri"] != actor:
                if not refresh:
                    continue  # the cache may be stale: ask the key's server once more
                raise Refused(401, "the signing key belongs to another actor")
            if not owner["public_key_pem"]:
                raise Refused(401, "the actor publishes no key")
            try:
                signatures.verify(method, target, headers, body, load_public(owner["public_key_pem"]),
                                  datetime.now(UTC))
                return
            except signatures.SignatureError as error:
                if refresh or "Date" in str(error) or "Digest" in str(error):
                    raise Refused(401, str(error)) from None


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


Processor = Callable[[dict[str, Any]], Awaitable[None]]


class InboxWorker:
    """Processes stored activities in order; failures are retried a few times, then left with their error."""

    def __init__(self, db: Database, process: Processor) -> None:
        self.db = db
        self.process = process
        self.event = asyncio.Event()

    def wake(self) -> None:
        self.event.set()

    async def run_once(self) -> int:
        """Process a batch; their "processed" marks share one commit (each commit is an fsync, and
        a crash before it only means processing again, which is idempotent)."""
        rows = inbox.pending(self.db, MAX_ATTEMPTS, 100, iso(datetime.now(UTC)))
        done: list[int] = []
        for row in rows:
            try:
                async with asyncio.timeout(PROCESS_SECONDS):
                    await self.process(orjson.loads(row["body"]))
            except Exception as error:  # one bad activity must not stop the others; its error is kept
                log.warning("processing %s failed: %s", row["activity_id"], error, exc_info=True)
                retry_at = datetime.now(UTC) + retry_wait(int(row["attempts"]) + 1)
                inbox.failed(self.db, row["id"], f"{type(error).__name__}: {error}", iso(retry_at))
            else:
                done.append(row["id"])
            await asyncio.sleep(0)  # let requests in between: receiving must not wait for a whole batch
        inbox.processed_many(self.db, done, iso(datetime.now(UTC)))
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if await self.run_once():
                continue
            self.event.clear()
            waiters = [asyncio.ensure_future(self.event.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=5, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
