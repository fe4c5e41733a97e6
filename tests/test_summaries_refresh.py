"""Summaries stored before they kept blocks apart are derived again once after an upgrade
(node/services/summaries.py): derived ones only, never an author's own or a remote summary."""

from __future__ import annotations

import time
from pathlib import Path

from node import markup
from node.services import groups, posts, summaries
from storage import posts as post_store
from storage import settings
from tests.helpers import Site, make_site

LIST = "Wat we doen:\n\n- archief openen\n- besluiten publiceren"


def _as_before_the_upgrade(site: Site, post_id: int) -> None:
    """The summary an older Meent stored, and no record of the refresh having run."""
    row = post_store.by_id(site.node.db, post_id)
    assert row is not None
    post_store.update(site.node.db, post_id, {"summary": markup.summary_before_blocks(row["content"])})
    site.node.db.execute("DELETE FROM settings WHERE key IN (?, ?)", (summaries.DONE, summaries.AFTER))


def _summary(site: Site, post_id: int) -> str:
    row = post_store.by_id(site.node.db, post_id)
    assert row is not None
    return str(row["summary"])


def test_derived_summaries_are_derived_again_in_batches_and_the_lists_show_them(site: Site) -> None:
    site.group()
    anne = site.member("anne")
    group = groups.get(site.node, "open-overheid")
    topic = posts.start_topic(site.node, anne, group, "Open archief", LIST)["id"]
    reply = posts.reply(site.node, anne, topic, "Twee dingen:\n\n1. eerst\n2. dan")["id"]
    own = posts.write_blog_post(site.node, anne, "Blog", "Mijn eigen woorden", LIST, "", publish=True)["id"]
    assert _summary(site, topic) == "Wat we doen: archief openen · besluiten publiceren"
    for post_id in (topic, reply):
        _as_before_the_upgrade(site, post_id)
    assert _summary(site, topic) == "Wat we doen: archief openen besluiten publiceren"  # as they were
    page = "/groups/open-overheid"
    assert "archief openen besluiten" in site.client.get(page).text  # and cached so

    batches = 0
    while summaries.refresh_batch(site.node, size=1):
        batches += 1
    assert batches >= 3  # one post a batch: the topic, the reply, the blog post (and the rest)
    assert _summary(site, topic) == "Wat we doen: archief openen · besluiten publiceren"
    assert _summary(site, reply) == "Twee dingen: eerst · dan"
    assert _summary(site, own) == "Mijn eigen woorden"  # typed by its author: kept
    assert "archief openen · besluiten publiceren" in site.client.get(page).text
    assert settings.get(site.node.db, summaries.DONE)
    post_store.update(site.node.db, reply, {"summary": markup.summary_before_blocks(LIST)})
    assert summaries.refresh_batch(site.node) is False  # done once: never again
    assert _summary(site, reply) == markup.summary_before_blocks(LIST)


def test_the_node_refreshes_old_summaries_when_it_starts(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    site.group()
    topic = posts.start_topic(site.node, site.member("anne"), groups.get(site.node, "open-overheid"), "Open archief",
                              LIST)["id"]
    _as_before_the_upgrade(site, topic)
    with site.client:  # the upgraded node starts
        deadline = time.monotonic() + 20
        while not settings.get(site.node.db, summaries.DONE) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert settings.get(site.node.db, summaries.DONE), "the refresh did not finish"
        assert _summary(site, topic) == "Wat we doen: archief openen · besluiten publiceren"
    site.node.db.close()
