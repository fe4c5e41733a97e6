"""Remote actors: fetched with a signed GET, cached in `actors`, refreshed after a day."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urldefrag, urlsplit

import orjson

from federation import reading
from federation.fetch import Fetcher, FetchError
from storage import actors
from storage.db import Database, Row

FRESH_FOR = timedelta(days=1)
ACTOR_TYPES = {"Person", "Group", "Organization", "Service", "Application"}


class ActorUnavailable(Exception):
    """A remote actor could not be fetched or is not a usable actor; `temporary` when asking again
    later may help (its server did not answer, or answered 5xx)."""

    def __init__(self, reason: str, *, temporary: bool = False) -> None:
        super().__init__(reason)
        self.temporary = temporary


def actor_record(doc: Mapping[str, Any], now: str) -> dict[str, Any]:
    """The cache row of an actor document. Pure; ValueError when it is not a usable actor."""
    uri = doc.get("id")
    inbox = doc.get("inbox")
    kind = doc.get("type")
    if not isinstance(kind, str) or kind not in ACTOR_TYPES or not reading.web_url(uri) or not reading.web_url(inbox):
        raise ValueError("not an actor with an id and an inbox")
    assert isinstance(uri, str) and isinstance(inbox, str)
    key = doc.get("publicKey")
    key = key[0] if isinstance(key, list) and key else key
    endpoints = doc.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, Mapping) else None
    owner_origin = urlsplit(uri).netloc
    return {
        "uri": uri,
        "type": doc["type"],
        "username": str(doc.get("preferredUsername") or ""),
        "domain": owner_origin.lower(),
        "name": reading.text_of(doc, "name") or str(doc.get("preferredUsername") or ""),
        "inbox": inbox,
        # a shared inbox on another server would let one actor redirect others' deliveries
        "shared_inbox": shared if reading.web_url(shared) and urlsplit(shared).netloc == owner_origin else None,
        "followers": reading.id_of(doc.get("followers")),
        "url": url if reading.web_url(url := reading.id_of(doc.get("url"))) else uri,
        # a key id on another server could shadow that server's own actors' keys in our cache
        "key_id": key.get("id") if isinstance(key, Mapping) and key.get("owner") in (uri, None)
        and reading.web_url(key.get("id")) and urlsplit(str(key.get("id"))).netloc == owner_origin else None,
        "public_key_pem": key.get("publicKeyPem") if isinstance(key, Mapping) else None,
        "raw": orjson.dumps(doc).decode(),
        "fetched_at": now,
    }


def _now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Our stored time format: ISO 8601 UTC with milliseconds and Z, sortable as text."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RemoteActors:
    def __init__(self, db: Database, fetcher: Fetcher, clock: Callable[[], datetime] = _now) -> None:
        self.db = db
        self.fetcher = fetcher
        self.clock = clock
        self._fetching: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def _document(self, url: str) -> dict[str, Any]:
        """One GET per URL at a time: twenty first activities of a new sender, arriving together,
        share one fetch of its key instead of making twenty."""
        running = self._fetching.get(url)
        if running is None:
            running = asyncio.ensure_future(self.fetcher.get_json(url))
            self._fetching[url] = running
            running.add_done_callback(lambda _: self._fetching.pop(url, None))
        return await asyncio.shield(running)

    async def get(self, uri: str, *, refresh: bool = False) -> Row:
        """The cached actor, fetched when missing, older than a day, or when asked to refresh."""
        cached = actors.get(self.db, uri)
        stale_before = iso(self.clock() - FRESH_FOR)
        if cached is not None and not refresh and cached["fetched_at"] > stale_before:
            return cached
        try:
            doc = await self._document(uri)
            record = actor_record(doc, iso(self.clock()))
        except (FetchError, ValueError) as error:
            if cached is not None and not refresh:
                return cached  # a server that is down now still has its last known actor
            raise ActorUnavailable(f"{uri}: {error}", temporary=_temporary(error)) from None
        if record["uri"] != uri:
            raise ActorUnavailable(f"{uri}: the document's id is {record['uri']}")
        actors.put(self.db, record)
        found = actors.get(self.db, uri)
        assert found is not None
        return found

    async def by_key_id(self, key_id: str, *, refresh: bool = False) -> Row:
        """The actor owning a key: from the cache, else from the key's document.

        Mastodon's key id is the actor's id with a #fragment, so the document is the actor itself;
        others (GoToSocial, some forums) serve a key document or a stub that names the owner, whose
        own actor document must then list this key.
        """
        if not refresh:
            cached = actors.by_key_id(self.db, key_id)
            if cached is not None:
                return cached
        url = urldefrag(key_id).url
        try:
            doc = await self._document(url)
        except FetchError as error:
            raise ActorUnavailable(f"{key_id}: {error}", temporary=error.temporary) from None
        if doc.get("id") == url and doc.get("type") in ACTOR_TYPES:
            try:
                record = actor_record(doc, iso(self.clock()))
            except ValueError as error:
                raise ActorUnavailable(f"{key_id}: {error}") from None
            actors.put(self.db, record)
            owner: str | None = url
        else:
            owner = key_owner(doc)
        if owner is None:
            raise ActorUnavailable(f"{key_id}: the key document names no owner")
        actor = await self.get(owner, refresh=owner != url)
        if actor["key_id"] != key_id:
            raise ActorUnavailable(f"{key_id}: {owner} does not list this key")
        return actor


def _temporary(error: Exception) -> bool:
    return isinstance(error, FetchError) and error.temporary


def key_owner(doc: Mapping[str, Any]) -> str | None:
    """The owner a key document or actor stub names. Pure."""
    key = doc.get("publicKey")
    key = key[0] if isinstance(key, list) and key else key
    owner = doc.get("owner") or (key.get("owner") if isinstance(key, Mapping) else None) or doc.get("id")
    return owner if reading.web_url(owner) else None
