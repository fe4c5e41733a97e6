"""Our copies of other servers' images and documents (`/media/remote/{url_hash}`): a visitor's
browser never asks another server, and this node is no open proxy.

- Only URLs a stored object named are fetched (remote_media rows, written by ingest); any other
  hash is a 404.
- A copy held is served as it is; otherwise the file is fetched now (federation/media_fetch.py:
  the guarded session of its own budget, checked redirects, the size cap media.remote_max_bytes),
  an image re-encoded like an upload (node/services/images.py) and the document kept only when it
  is one of media.document_types by its bytes.
- A failure is noted with a back-off (5 minutes doubling to a day): until then a request is
  answered 404 at once, without asking the server again.
- Requests for the same URL at the same moment share one fetch.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import aiohttp
import anyio
import anyio.to_thread

from federation.actors import iso
from federation.backoff import Backoff
from federation.media_fetch import MediaFetchError, fetch_bytes
from federation.policy import FederationPolicy
from node.services import images, media_store, sniff
from node.services.context import Node
from node.services.errors import NotFound
from node.services.media import allowed_document_types, root
from storage import media
from storage.db import Row

log = logging.getLogger("meent.media")
# Retried after 5 min, 10, 20, ... at most once a day, and never given up (a server back after a
# week shows its images again).
RETRY = Backoff(timedelta(minutes=5), timedelta(days=1), timedelta(days=36500))
USED_EVERY = timedelta(minutes=1)  # last_used_at written at most this often per copy
_limiter: anyio.CapacityLimiter | None = None


@dataclass
class RemoteMedia:
    """What fetching needs at run time (built by node/federation_runtime.py): its own session and
    the policy, and the fetches under way (one per URL)."""

    session: aiohttp.ClientSession
    policy: FederationPolicy
    timeout: float
    fetching: dict[str, asyncio.Future[str | None]] = field(default_factory=dict)



def _decoder() -> anyio.CapacityLimiter:
    global _limiter
    if _limiter is None:  # remote images are decoded one at a time: uploads keep their own two
        _limiter = anyio.CapacityLimiter(1)
    return _limiter


def _held(node: Node, row: Row) -> str | None:
    file_hash = row["file_hash"]
    if row["state"] == "cached" and file_hash and media_store.exists(root(node), file_hash):
        return str(file_hash)
    return None


async def copy_of(node: Node, remote: RemoteMedia | None, url_hash: str) -> str:
    """The hash of our copy of the file behind `url_hash`, fetched now if need be (remote None:
    federation is not running, only copies held are served); NotFound when the URL is not one we
    know, cannot be had, or failed a moment ago."""
    row = media.remote(node.db, url_hash) if media_store.HASH.match(url_hash) else None
    if row is None:
        raise NotFound("error.media_not_found")
    held = _held(node, row)
    if held is not None:
        now = datetime.now(UTC)
        if not row["last_used_at"] or row["last_used_at"] < iso(now - USED_EVERY):
            with node.db.transaction(counts=False):
                media.remote_used(node.db, url_hash, iso(now))
        return held
    if remote is None or row["next_try_at"] and row["next_try_at"] > iso(datetime.now(UTC)):
        raise NotFound("error.media_not_found")
    running = remote.fetching.get(url_hash)
    if running is None:
        running = asyncio.ensure_future(_fetch(node, remote, url_hash, str(row["url"])))
        remote.fetching[url_hash] = running
        running.add_done_callback(lambda _: remote.fetching.pop(url_hash, None))
    found = await asyncio.shield(running)
    if found is None:
        raise NotFound("error.media_not_found")
    return found


async def _fetch(node: Node, remote: RemoteMedia, url_hash: str, url: str) -> str | None:
    kinds = media.remote_kinds(node.db, url)
    documents = set(allowed_document_types(node)) if "document" in kinds else set()

    def accepts(content_type: str) -> bool:
        # An avatar or icon must say it is an image. An attachment may come from a bucket that says
        # octet-stream: what it is comes from its bytes anyway (sniffed, re-encoded).
        return content_type.startswith("image/") or content_type in documents or bool(kinds) and (
            content_type in ("application/octet-stream", "binary/octet-stream"))

    try:
        _, data = await fetch_bytes(remote.session, remote.policy, url, max_bytes=node.config["media.remote_max_bytes"],
                                    timeout=remote.timeout, accepts=accepts)
        file_hash = await _stored(node, data, url, documents)
    except MediaFetchError as error:
        _failed(node, url_hash, error.reason)
        return None
    except Exception:  # a bug must not take the page down: noted like any failure
        log.exception("remote media %s failed", url[:200])
        _failed(node, url_hash, "internal error")
        return None
    with node.db.transaction():
        media.remote_fetched(node.db, url_hash, file_hash, node.now())
    return file_hash


async def _stored(node: Node, data: bytes, url: str, documents: set[str]) -> str:
    if not data:
        raise MediaFetchError(url, "empty")
    media_type = sniff.image_type(data[:16])
    if media_type is not None:
        def work() -> images.Processed:
            return images.attachment(data, media_type, node.config["media.max_pixels"])
        try:
            done = await anyio.to_thread.run_sync(work, limiter=_decoder())
        except images.ImageRefused as refused:
            raise MediaFetchError(url, f"image refused: {refused.reason}") from None
        encoded = done.preview or done.full  # our copy is for showing on pages
        return _write(node, encoded.data, encoded.media_type, encoded.width, encoded.height, done.blurhash)
    found = sniff.document_type(data, url.rsplit("/", 1)[-1]) if documents else None
    if found is None or found not in documents:
        raise MediaFetchError(url, "not an image (nor a document we take), whatever its declared type")
    return _write(node, data, found, None, None, None)


def _write(node: Node, data: bytes, media_type: str, width: int | None, height: int | None,
           blurhash: str | None) -> str:
    file_hash = media_store.write(root(node), data)
    with node.db.transaction():
        media.put_file(node.db, hash_=file_hash, media_type=media_type, size=len(data), width=width, height=height,
                       blurhash=blurhash, now=node.now())
    return file_hash


def _failed(node: Node, url_hash: str, reason: str) -> None:
    row = media.remote(node.db, url_hash)
    attempts = int(row["attempts"]) + 1 if row is not None else 1
    next_try = datetime.now(UTC) + RETRY.step(attempts)
    with node.db.transaction():
        media.remote_failed(node.db, url_hash, reason, iso(next_try))
    log.info("remote media not fetched (attempt %d, again after %s): %s", attempts, iso(next_try), reason[:200])
