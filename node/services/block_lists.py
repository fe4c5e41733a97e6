"""Shared allow and block lists, subscribed to by URL and refreshed daily, so that organisations can
keep one trusted list of nodes without a central server.

Two formats: one domain a line (`#` starts a comment), or CSV as Mastodon exports its domain blocks
(header `#domain,#severity,...`; severity suspend -> block, silence -> limit, noop ignored). What is
read is bounded (MAX_BYTES, MAX_ENTRIES); bad lines are skipped and counted. A refresh that fails keeps
the entries of the last good one and shows its error.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import aiohttp

from federation.actors import iso
from federation.policy import normalise_host
from node.services import audit, blocks
from node.services.context import Node
from node.services.errors import Conflict, Invalid, NotFound
from storage import blocks as store
from storage.db import Row

KINDS = ("allow", "block")
MAX_BYTES = 1_048_576
MAX_ENTRIES = 10_000
MAX_URL = 2000
REFRESH_AFTER = timedelta(days=1)
RETRY_AFTER = timedelta(hours=1)
MASTODON_SEVERITY = {"suspend": "block", "silence": "limit", "noop": None}

Entries = dict[str, tuple[str, str]]  # domain -> (severity, comment)


class ListUnavailable(Exception):
    """The list could not be fetched (HTTP error, too large, not text)."""


def _domain(value: str) -> str | None:
    value = value.strip().removeprefix("*.")
    host = normalise_host(value) if value and "/" not in value and "*" not in value else None
    if host is None or not blocks.DOMAIN.match(host):
        return None
    return host


def _csv_rows(lines: list[str]) -> list[list[str]]:
    return list(csv.reader(lines))


def parse(text: str, kind: str) -> tuple[Entries, int]:
    """(entries, lines skipped) of a list in either format. Pure."""
    lines = text.splitlines()
    first = next((line.strip() for line in lines if line.strip()), "")
    header = [cell.strip().lstrip("#").lower() for cell in first.split(",")]
    entries: Entries = {}
    skipped = 0
    if header and header[0] == "domain" and len(header) > 1:
        columns = {name: index for index, name in enumerate(header)}
        rows = _csv_rows([line for line in lines if line.strip()][1:])
        for row in rows:
            severity, skip = _csv_entry(row, columns, kind)
            domain = _domain(row[columns["domain"]]) if row else None
            if skip:
                continue
            if domain is None or severity is None or len(entries) >= MAX_ENTRIES:
                skipped += 1
                continue
            comment = row[columns["public_comment"]] if "public_comment" in columns and \
                len(row) > columns["public_comment"] else ""
            entries[domain] = (severity, comment[:500])
        return entries, skipped
    for line in lines:
        value, _, comment = line.partition("#")
        if not value.strip():
            continue
        domain = _domain(value)
        if domain is None or len(entries) >= MAX_ENTRIES:
            skipped += 1
            continue
        entries[domain] = ("allow" if kind == "allow" else "block", comment.strip()[:500])
    return entries, skipped


def _csv_entry(row: list[str], columns: dict[str, int], kind: str) -> tuple[str | None, bool]:
    """(severity, skip quietly) of one CSV row."""
    if kind == "allow":
        return "allow", False
    index = columns.get("severity")
    if index is None or len(row) <= index:
        return "block", False
    value = row[index].strip().lower()
    if value not in MASTODON_SEVERITY:
        return None, False
    severity = MASTODON_SEVERITY[value]
    return severity, severity is None


def check_url(url: str, *, plain_http: bool = False) -> str:
    """An https address: over plain http anyone on the way could add entries (in allowlist mode, let
    servers in). plain_http: also http, for nodes that may talk to private addresses (tests, a lab)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise Invalid("blocks.bad_list_url", "url") from None
    schemes = ("http", "https") if plain_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or len(url) > MAX_URL:
        raise Invalid("blocks.bad_list_url", "url")
    return url


async def fetch(session: aiohttp.ClientSession, url: str) -> str:
    """The list's text, at most MAX_BYTES; raises ListUnavailable."""
    try:
        async with session.get(url, headers={"Accept": "text/plain, text/csv, */*"}) as response:
            if response.status != 200:
                raise ListUnavailable(f"HTTP {response.status}")
            if response.content_length is not None and response.content_length > MAX_BYTES:
                raise ListUnavailable(f"larger than {MAX_BYTES} bytes")
            body = bytearray()
            async for chunk in response.content.iter_chunked(65536):
                body.extend(chunk)
                if len(body) > MAX_BYTES:
                    raise ListUnavailable(f"larger than {MAX_BYTES} bytes")
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        raise ListUnavailable(f"{type(error).__name__}: {error}"[:300]) from None
    return body.decode("utf-8", "replace")


def _later(delta: timedelta) -> str:
    return iso(datetime.now(UTC) + delta)


async def refresh(node: Node, row: Row) -> None:
    """Fetch one list again and take its entries, or keep the old ones and note the error."""
    try:
        text = await fetch(node.runtime().object_session, row["url"])
    except ListUnavailable as error:
        store.fetch_failed(node.db, row["id"], error=str(error), next_fetch_at=_later(RETRY_AFTER))
        return
    entries, skipped = parse(text, row["kind"])
    note = f"{skipped} lines skipped" if skipped else None
    store.replace_entries(node.db, row["id"], entries, fetched_at=node.now(), next_fetch_at=_later(REFRESH_AFTER),
                          error=note)
    blocks.reload(node)


async def refresh_one(node: Node, list_id: int) -> None:
    row = store.get_list(node.db, list_id)
    if row is None:
        raise NotFound("blocks.unknown_list")
    await refresh(node, row)


async def refresh_due(node: Node) -> None:
    for row in store.due_lists(node.db, node.now()):
        await refresh(node, row)


async def subscribe(node: Node, actor: Row | None, url: str, kind: str) -> Row:
    """Subscribe to a list and fetch it now; a failed first fetch is shown and tried again later."""
    url = check_url(url, plain_http=bool(node.config["federation.allow_private_addresses"]))
    if kind not in KINDS:
        raise Invalid("blocks.bad_list_kind", "kind")
    with node.db.transaction():
        if store.list_by_url(node.db, url) is not None:
            raise Conflict("blocks.list_exists", "url")
        list_id = store.add_list(node.db, url=url, kind=kind, created_by=actor["id"] if actor else None,
                                 now=node.now())
        audit.record(node, actor, "list_subscribe", url, kind)
    row = store.get_list(node.db, list_id)
    assert row is not None
    await refresh(node, row)
    refreshed = store.get_list(node.db, list_id)
    assert refreshed is not None
    return refreshed


def unsubscribe(node: Node, actor: Row | None, list_id: int) -> None:
    with node.db.transaction():
        row = store.get_list(node.db, list_id)
        if row is None:
            raise NotFound("blocks.unknown_list")
        store.remove_list(node.db, list_id)
        audit.record(node, actor, "list_unsubscribe", row["url"], row["kind"])
    blocks.reload(node)


def subscriptions(node: Node) -> list[Row]:
    return store.lists(node.db)
