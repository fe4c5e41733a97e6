"""The page caches (issue 12, page speed): always current after a commit, never one person's page
for another, one language's page never for the other, and bounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from node.page_cache import VersionedCache
from node.services import accounts, groups, posts
from tests.helpers import Site, make_site


@pytest.fixture
def site(tmp_path: Path) -> Site:
    site = make_site(tmp_path)
    site.member("anne")
    site.member("bram")
    site.group()
    return site


def anne_topic(site: Site, title: str, body: str = "Eerste bericht.") -> dict:
    group = groups.get(site.node, "open-overheid")
    return dict(posts.start_topic(site.node, accounts.get(site.node, "anne"), group, title, body))


def fresh_client(site: Site) -> TestClient:
    """Another browser: no cookies, the same app (and so the same caches)."""
    return TestClient(site.client.app, base_url="http://127.0.0.1:8000")


def test_visitor_home_shows_a_new_topic_at_once(site: Site) -> None:
    anne_topic(site, "Het eerste onderwerp")
    first = site.client.get("/")
    assert "Het eerste onderwerp" in first.text
    assert site.client.get("/").text == first.text  # served again (from the cache), unchanged
    anne_topic(site, "Een onderwerp van daarna")
    assert "Een onderwerp van daarna" in site.client.get("/").text
    assert "Een onderwerp van daarna" in fresh_client(site).get("/").text


def test_member_home_is_never_the_visitors_page_nor_the_other_way(site: Site) -> None:
    visitor = fresh_client(site)
    site.login("anne")  # a commit (the session): so first the visitor, then the member, at one version
    assert 'action="/logout"' not in visitor.get("/").text  # the visitors' page is now cached
    mine = site.client.get("/").text
    assert 'action="/logout"' in mine and "/users/anne" in mine
    again = visitor.get("/").text
    assert 'action="/logout"' not in again and "/users/anne" not in again
    other = fresh_client(site)
    other.cookies.clear()
    bram_site = Site(client=other, node=site.node)
    bram_site.login("bram")
    bram_page = other.get("/").text
    assert "/users/bram" in bram_page and "/users/anne" not in bram_page


def test_member_unread_badge_follows_new_notifications(site: Site) -> None:
    topic = anne_topic(site, "Vraag van Anne")
    site.login("anne")
    assert "meent-badge" not in site.client.get("/").text
    posts.reply(site.node, accounts.get(site.node, "bram"), topic["id"], "Een antwoord van Bram.")
    assert "meent-badge" in site.client.get("/").text


def test_each_language_gets_its_own_page(site: Site) -> None:
    dutch = fresh_client(site).get("/").text
    english_client = fresh_client(site)
    english = english_client.get("/?lang=en").text
    assert 'lang="nl"' in dutch and 'lang="en"' in english
    assert english_client.get("/").text.count('lang="en"') >= 1  # by the cookie, with no query
    assert 'lang="nl"' in fresh_client(site).get("/").text.split(">", 2)[1]
    assert 'lang="en"' in fresh_client(site).get("/", headers={"Accept-Language": "en"}).text.split(">", 2)[1]


def test_visitor_thread_shows_every_change_to_its_replies(site: Site) -> None:
    topic = anne_topic(site, "Een draad")
    bram = accounts.get(site.node, "bram")
    reply = posts.reply(site.node, bram, topic["id"], "Het oorspronkelijke antwoord.")
    path = f"/groups/open-overheid/topics/{topic['id']}"
    assert "Het oorspronkelijke antwoord." in site.client.get(path).text
    anne_topic(site, "Iets anders")  # a new version, the thread itself unchanged
    assert "Het oorspronkelijke antwoord." in site.client.get(path).text
    posts.edit(site.node, bram, reply["id"], body="Het verbeterde antwoord.")
    page = site.client.get(path).text
    assert "Het verbeterde antwoord." in page and "Het oorspronkelijke antwoord." not in page
    accounts.update_profile(site.node, accounts.get(site.node, "bram"), {"display_name": "Bram Jansen-de Wit"})
    assert "Bram Jansen-de Wit" in site.client.get(path).text  # an author's name is part of the rows
    english = site.client.get(path + "?lang=en").text
    assert 'lang="en"' in english and "Het verbeterde antwoord." in english


def test_versioned_cache_empties_on_a_new_version_and_is_bounded() -> None:
    cache = VersionedCache(size=3)
    for number in range(5):
        cache.put((1, 0), number, f"value {number}")
    assert len(cache.entries) == 3 and cache.get((1, 0), 0) is None and cache.get((1, 0), 4) == "value 4"
    cache.get((1, 0), 2)  # used: kept before 3
    cache.put((1, 0), 5, "value 5")
    assert cache.get((1, 0), 2) == "value 2" and cache.get((1, 0), 3) is None
    assert cache.get((2, 0), 4) is None and not cache.entries  # a commit: everything goes
