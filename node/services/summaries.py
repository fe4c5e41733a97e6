"""Summaries stored before they kept blocks apart (issue 12: list items, headings and code ran
together) are derived again after an upgrade, a batch at a time in the background, once. A stored
summary that is exactly what the old derivation gives from the post's content was derived, not typed
by an author or sent as a remote summary, so deriving it again loses nothing."""

from __future__ import annotations

import asyncio

from node import markup
from node.services.context import Node
from storage import posts, settings

BATCH = 500
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
        if row["summary"] == markup.summary_before_blocks(row["content"]):
            summary = markup.summarise(row["content"])
            if summary != row["summary"]:
                changed.append((int(row["id"]), summary))
    with node.db.transaction(counts=bool(changed)):  # lists show summaries: their caches must go
        posts.set_summaries(node.db, changed)
        settings.put(node.db, AFTER, str(rows[-1]["id"]))
    return True


async def refresh_in_background(node: Node) -> None:
    """All batches, letting requests in between them."""
    while refresh_batch(node):
        await asyncio.sleep(0)
