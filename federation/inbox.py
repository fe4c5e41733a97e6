"""The inbox core: accept -> verify -> dedupe -> store raw; the HTTP door (node/ap/inbox.py) answers
202 once this returns and the row is on disk, and the worker (federation/inbox_worker.py) processes
what was stored. Framework-free: method, target, headers and body in; `Refused` out.

Nothing is processed that was not first stored, so a crash loses nothing; processing is idempotent,
so a redelivery after the dedupe window only costs some work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import orjson

from federation import reading, signatures
from federation.actors import ActorUnavailable, RemoteActors, iso
from federation.audience import domain_of
from federation.keys import load_public
from federation.policy import FederationPolicy
from storage import actors, inbox
from storage.db import Database

log = logging.getLogger("meent.federation")
MAX_BODY = 1_048_576
# A redelivered activity id is suppressed for this long after it was received (and while it is
# pending); later it is processed again, which the handlers tolerate (a reused Follow id gets its Accept).
DEDUPE_WINDOW = timedelta(minutes=10)
# Types whose object must live on the sender's own server (an Announce carries others' objects; a
# Delete may be a moderator's removal of a post on another server, which processing checks).
OWN_OBJECT_TYPES = {"Create", "Update"}
# Backpressure: past this many activities waiting to be processed, each 202 waits a moment longer
# (at most HOLD_MAX), so senders slow to what the worker processes and the backlog stops growing.
# The row is on disk before the wait; a sender that gives up meanwhile has lost nothing.
HOLD_FROM = 200
HOLD_PER_ROW = 0.00005  # seconds per waiting row: 20 ms at 400 waiting
HOLD_MAX = 0.5
# Activities about a follow relation are ordered per (actor, object); the rest per innermost object.
RELATION_TYPES = {"Follow", "Accept", "Reject", "Block"}


class Refused(Exception):
    """An activity we do not accept; status and reason go back to the sender."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


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
    activity_id, kind, actor = activity.get("id"), reading.kind(activity), reading.id_of(activity.get("actor"))
    if not isinstance(activity_id, str) or not kind or not actor:
        raise Refused(400, "activity needs id, type and actor")
    if _origin(activity_id) != _origin(actor):
        raise Refused(403, "activity id is not on the actor's server")
    object_id = reading.id_of(activity.get("object"))
    if kind in OWN_OBJECT_TYPES and object_id and _origin(object_id) != _origin(actor):
        raise Refused(403, "object id is not on the actor's server")
    return activity_id, kind, actor


def blocked_party(activity: Mapping[str, Any], policy: FederationPolicy) -> bool:
    """Is the activity's actor, or the author of an object it carries, blocked by the policy? Pure."""
    parties = [reading.id_of(activity.get("actor"))]
    inner: Any = activity.get("object")
    for _ in range(3):  # Announce(Create(Note)): every actor and author on the way in
        if not isinstance(inner, Mapping):
            break
        parties.append(reading.id_of(inner.get("actor")))
        authors = inner.get("attributedTo")
        parties.extend(reading.id_of(author) for author in (authors if isinstance(authors, list) else [authors]))
        inner = inner.get("object")
    return any(party and not policy.allows_actor(party) for party in parties)


def ordering_key(activity: Mapping[str, Any]) -> str | None:
    """What an activity concerns, for keeping order (a Create before its Update or Delete). Pure."""
    kind = reading.kind(activity)
    if kind in RELATION_TYPES:
        return f"{reading.id_of(activity.get('actor'))} {reading.id_of(activity.get('object'))}"
    inner: Any = activity.get("object")
    for _ in range(3):  # Announce(Create(Note)), Undo(Like(post))
        if isinstance(inner, Mapping) and reading.kind(inner) in reading.ACTIVITY_TYPES and "object" in inner:
            if reading.kind(inner) in RELATION_TYPES:
                return f"{reading.id_of(inner.get('actor'))} {reading.id_of(inner.get('object'))}"
            inner = inner["object"]
        else:
            break
    return reading.id_of(inner)


def lane_of(activity: Mapping[str, Any]) -> str:
    """The server whose answers processing may wait on: the object's, when it is only named (an
    Announce of another server's post is fetched there), otherwise the sender's. Pure."""
    obj = activity.get("object")
    if isinstance(obj, str) and reading.kind(activity) == "Announce":
        return domain_of(obj)
    return domain_of(reading.id_of(activity.get("actor")) or "")


def hold(backlog: int) -> float:
    """How long a 202 waits with this many activities waiting to be processed. Pure."""
    return 0.0 if backlog <= HOLD_FROM else min(HOLD_MAX, backlog * HOLD_PER_ROW)


class GroupCommit:
    """Rows stored by concurrent requests share one transaction (one fsync), each request still
    answered only once its own row is on disk. The rows that arrive while the event loop works
    through one turn are written together at the end of that turn."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[tuple[inbox.NewRow, asyncio.Future[None]]] = []

    async def store(self, row: inbox.NewRow, now: str) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self._waiting:
            asyncio.get_running_loop().call_soon(self._write, now)
        self._waiting.append((row, future))
        await future

    def _write(self, now: str) -> None:
        waiting, self._waiting = self._waiting, []
        try:
            inbox.store_many(self.db, [row for row, _ in waiting], now)
        except Exception as error:  # a full disk: every request of the group is told, none answered 202
            for _, future in waiting:
                if not future.done():
                    future.set_exception(error)
            return
        for _, future in waiting:
            if not future.done():
                future.set_result(None)


@dataclass
class Inbox:
    db: Database
    policy: FederationPolicy
    actors: RemoteActors
    wake_worker: Callable[[], None]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    backlog: Callable[[], int] = field(default=lambda: 0)  # activities waiting to be processed

    def __post_init__(self) -> None:
        self._writes = GroupCommit(self.db)

    async def accept(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> None:
        """Verify and store one activity, or raise Refused. `headers` have lower-case names."""
        if len(body) > MAX_BODY:
            raise Refused(413, "activity too large")
        try:
            activity = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise Refused(400, "body is not JSON") from None
        activity_id, kind, actor = check_shape(activity)
        if not self.policy.allows(domain_of(actor)):
            raise Refused(403, "this server does not federate with your domain")
        if blocked_party(activity, self.policy):
            raise Refused(403, "this server does not accept activities from this account")
        try:
            key_id = signatures.key_id_of(headers)
        except signatures.SignatureError as error:
            raise Refused(401, str(error)) from None
        now = self.clock()
        if inbox.seen_since(self.db, activity_id, iso(now - DEDUPE_WINDOW)):
            return  # a redelivery: stored a moment ago
        if kind == "Delete" and reading.id_of(activity.get("object")) == actor and not actors.get(self.db, actor):
            return  # an account we never knew was deleted: nothing to verify it with, nothing to do
        await self._verify(method, target, headers, body, key_id, actor)
        row = inbox.NewRow(activity_id, actor, kind, body.decode("utf-8", "replace"), lane_of(activity),
                           ordering_key(activity))
        await self._writes.store(row, iso(now))
        self.wake_worker()
        await asyncio.sleep(hold(self.backlog()))

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
