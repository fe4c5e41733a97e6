"""Summaries stored before they kept blocks apart (issue 12: list items, headings and code ran
together) are derived again after an upgrade, a batch at a time in the background, once. A stored
summary that is exactly what the old derivation gives from the post's content was derived, not typed
by an author or sent as a remote summary, so deriving it again loses nothing."""

from __future__ import annotations

import asyncio
import logging

from node import markup
from node.services.context import Node
from storage import posts, settings

BATCH = 100  # two HTML passes a post, on the event loop: small enough not to hold requests up
PAUSE = 0.01  # seconds between batches
RETRY = 60.0  # seconds after a batch failed (the database busy with a command, say)
log = logging.getLogger("meent.summaries")
DONE = "upgrade.summaries_refreshed"  # when the last batch ran
AFTER = "upgrade.summaries_after"  # the last post id a batch looked at


def refresh_batch(node: Node, size: int = BATCH) -> bool:
    """One batch; False when nothing is left (noted, so that it never runs again)."""
    if settings.get(node.db, DONE):
        return False
    after = int(settings.get(node.db, AFTER) or 0)
    rows = posts.summaries_after(node.db, after, size)
    if not rows:
        settings.put(node.db, DONE, node.now())
        return False
    changed = []
    for row in rows:
        try:
            if row["summary"] != markup.summary_before_blocks(row["content"]):
                continue
            summary = markup.summarise(row["content"])
        except Exception:  # noqa: BLE001 - one post's content must not hold up the rest for good
            log.exception("post %s: its summary is left as it is", row["id"])
            continue
        if summary != row["summary"]:
            changed.append((int(row["id"]), summary))
    with node.db.transaction(counts=bool(changed)):  # lists show summaries: their caches must go
        posts.set_summaries(node.db, changed)
        settings.put(node.db, AFTER, str(rows[-1]["id"]))
    return True


async def refresh_in_background(node: Node) -> None:
    """All batches, letting requests in between them; a failed batch is tried again later (what it
    did not finish stays to do: its progress is written with its changes)."""
    while True:
        try:
            if not refresh_batch(node):
                return
        except Exception:  # noqa: BLE001 - logged; the node serves on, and the batch comes again
            log.exception("refreshing old summaries failed; trying again in %.0f s", RETRY)
            await asyncio.sleep(RETRY)
            continue
        await asyncio.sleep(PAUSE)
