"""Finding (issue 12): a group's topic list sorted and paged, paged tag, blog and group lists,
reply counts of visible replies only, and replies titled as replies in lists and feeds."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from node import paging
from node.services import accounts, moderation
from node.services import groups as group_service
from node.services import posts as post_service
from storage import accounts as account_store
from storage import groups as group_store
from storage import posts as post_store
from tests.helpers import Site

TITLES = re.compile(r'class="utrecht-link meent-entry-title" href="[^"]+">([^<]+)</a>')


def _setup(site: Site) -> tuple[dict, dict]:
    site.group()
    site.member("anne")
    site.member("mod", role="moderator")
    db = site.node.db
    return dict(account_store.by_username(db, "anne")), dict(group_store.by_slug(db, "open-overheid"))


def _topic(site: Site, author: dict, group: dict, title: str, created: str) -> int:
    post = post_service.start_topic(site.node, author, group, title, f"Over {title}")
    post_store.update(site.node.db, post["id"], {"created_at": created, "published_at": created,
                                                  "last_activity_at": created})
    return int(post["id"])


def _reply(site: Site, author: dict, parent: int, written: str) -> int:
    post = post_service.reply(site.node, author, parent, "Eens, en nog iets.")
    post_store.update(site.node.db, post["id"], {"created_at": written, "published_at": written})
    topic = post_store.by_id(site.node.db, parent)
    assert topic is not None
    with site.node.db.transaction() as conn:
        post_store.recount(conn, topic["topic_id"])
    return int(post["id"])


def _titles(html: str) -> list[str]:
    return TITLES.findall(html)


def test_group_topics_sorted_by_activity_newest_and_replies_with_pinned_first(site: Site) -> None:
    anne, group = _setup(site)
    old = _topic(site, anne, group, "Oud maar druk", "2026-01-01T10:00:00.000Z")
    _topic(site, anne, group, "Nieuw en stil", "2026-03-01T10:00:00.000Z")
    mid = _topic(site, anne, group, "Midden", "2026-02-01T10:00:00.000Z")
    pinned = _topic(site, anne, group, "Vastgezet", "2025-06-01T10:00:00.000Z")
    for day in ("10", "11", "12"):
        _reply(site, anne, old, f"2026-04-{day}T10:00:00.000Z")
    _reply(site, anne, mid, "2026-03-15T10:00:00.000Z")
    deleted = [_reply(site, anne, mid, f"2026-05-0{d}T10:00:00.000Z") for d in (1, 2, 3)]
    mod = dict(account_store.by_username(site.node.db, "mod"))
    moderation.pin_topic(site.node, mod, pinned)
    for reply_id in deleted[:2]:
        post_service.delete(site.node, anne, reply_id)
    moderation.remove_post(site.node, mod, deleted[2], "Spam")

    base = "/groups/open-overheid"
    # latest activity: the deleted and removed replies of "Midden" (May) no longer count as activity
    assert _titles(site.client.get(base).text) == ["Vastgezet", "Oud maar druk", "Midden", "Nieuw en stil"]
    assert _titles(site.client.get(base + "?sort=activity").text)[1] == "Oud maar druk"
    newest = ["Vastgezet", "Nieuw en stil", "Midden", "Oud maar druk"]
    assert _titles(site.client.get(base + "?sort=new").text) == newest
    page = site.client.get(base + "?sort=replies").text
    assert _titles(page) == ["Vastgezet", "Oud maar druk", "Midden", "Nieuw en stil"]
    # the counts shown are of visible replies: "Midden" has one, not four
    assert "3 reacties" in page and "1 reactie" in page and "4 reacties" not in page
    assert 'href="/groups/open-overheid?sort=replies" aria-current="true"' in page
    topic_page = site.client.get(f"{base}/topics/{mid}").text
    assert "1 reactie" in topic_page and "4 reacties" not in topic_page
    # a removed-then-deleted reply is not subtracted twice
    assert post_store.by_id(site.node.db, mid)["reply_count"] == 1  # type: ignore[index]


def test_a_reply_restored_counts_again_and_a_bad_sort_is_a_clear_400(site: Site) -> None:
    anne, group = _setup(site)
    topic = _topic(site, anne, group, "Eén", "2026-01-01T10:00:00.000Z")
    reply = _reply(site, anne, topic, "2026-01-02T10:00:00.000Z")
    mod = dict(account_store.by_username(site.node.db, "mod"))
    moderation.remove_post(site.node, mod, reply, "Spam")
    assert post_store.by_id(site.node.db, topic)["reply_count"] == 0  # type: ignore[index]
    assert post_store.by_id(site.node.db, topic)["last_activity_at"] == "2026-01-01T10:00:00.000Z"  # type: ignore[index]
    moderation.restore_post(site.node, mod, reply)
    assert post_store.by_id(site.node.db, topic)["reply_count"] == 1  # type: ignore[index]
    response = site.client.get("/groups/open-overheid?sort=oldest")
    assert response.status_code == 400 and "Deze sortering bestaat niet" in response.text


def test_group_topics_page_with_sort_kept(site: Site) -> None:
    anne, group = _setup(site)
    for n in range(paging.PER_PAGE + 5):
        _topic(site, anne, group, f"Onderwerp {n:02d}", f"2026-01-01T10:{n:02d}:00.000Z")
    base = "/groups/open-overheid"
    first = site.client.get(base + "?sort=new").text
    assert len(_titles(first)) == paging.PER_PAGE and _titles(first)[0] == "Onderwerp 34"
    assert 'href="/groups/open-overheid?sort=new&amp;page=2" rel="next"' in first
    assert 'aria-current="page"' in first and 'aria-label="Pagina&#39;s: Discussies"' in first
    second = site.client.get(base + "?sort=new&page=2").text
    assert _titles(second) == [f"Onderwerp {n:02d}" for n in range(4, -1, -1)]
    assert 'href="/groups/open-overheid?sort=new" rel="prev"' in second
    assert "Pagina 2 van 2" in second and 'rel="next"' not in second
    assert site.client.get(base + "?page=3").status_code == 404
    assert "2 pagina" in site.client.get(base + "?page=3").text


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", "99999999", "٣"])
def test_bad_page_numbers_are_a_clear_400_on_every_paged_list(site: Site, bad: str) -> None:
    _setup(site)
    for path in ("/groups/open-overheid", "/groups", "/tags/woo", "/blog", "/blog/organisation",
                 "/users/anne/blog", "/search?q=woo"):
        sep = "&" if "?" in path else "?"
        response = site.client.get(f"{path}{sep}page={bad}")
        assert response.status_code == 400, path
        assert "Dit paginanummer klopt niet" in response.text, path


def test_empty_lists_are_page_one_without_navigation(site: Site) -> None:
    _setup(site)
    for path in ("/groups/open-overheid", "/tags/woo", "/blog", "/users/anne/blog"):
        response = site.client.get(path + "?page=1")
        assert response.status_code == 200 and "meent-pagination" not in response.text, path
        assert site.client.get(path + "?page=2").status_code == 404, path


def test_tag_page_and_blogs_are_paged(site: Site) -> None:
    anne, group = _setup(site)
    for n in range(paging.PER_PAGE + 1):
        post_service.start_topic(site.node, anne, group, f"Woo {n}", "Over #woo")
        post_service.write_blog_post(site.node, anne, f"Blog {n}", "", "Tekst", "", publish=True)
    tag_first, tag_second = site.client.get("/tags/woo").text, site.client.get("/tags/woo?page=2").text
    assert len(_titles(tag_first)) == paging.PER_PAGE and _titles(tag_second) == ["Woo 0"]
    assert 'href="/tags/woo?page=2"' in tag_first
    blog_first, blog_second = site.client.get("/users/anne/blog").text, site.client.get("/users/anne/blog?page=2").text
    assert blog_first.count('class="utrecht-link meent-entry-title"') == paging.PER_PAGE
    assert "Blog 0" in blog_second and "Blog 1<" not in blog_second
    index_second = site.client.get("/blog?page=2").text
    assert _titles(index_second) == ["Blog 0"] and 'id="h-org"' not in index_second
    # what a list does not understand (a campaign tag, the language) does not travel into its links
    for path in ("/tags/woo", "/users/anne/blog", "/blog", "/groups/open-overheid"):
        stray = site.client.get(path + "?utm_source=nieuwsbrief&lang=nl").text
        assert set(re.findall(r'href="([^"]*page=2[^"]*)"', stray)) == {f"{path}?page=2"}, path


def test_groups_list_is_paged(site: Site) -> None:
    _setup(site)
    for n in range(paging.PER_PAGE):
        group_service.create(site.node, None, f"groep-{n:02d}", f"Groep {n:02d}", "")
    first, second = site.client.get("/groups?utm_source=x").text, site.client.get("/groups?page=2").text
    assert "Groep 00" in first and "Open Overheid" not in first
    assert set(re.findall(r'href="([^"]*page=2[^"]*)"', first)) == {"/groups?page=2"}
    assert "Open Overheid" in second and "Groep 00" not in second


def test_replies_in_tag_page_and_feeds_say_what_they_answer(site: Site) -> None:
    anne, group = _setup(site)
    topic = post_service.start_topic(site.node, anne, group, "Woo-verzoeken", "Hoe doen jullie dit? #woo")
    post_service.reply(site.node, anne, topic["id"], "Wij gebruiken een formulier #woo")
    page = site.client.get("/tags/woo").text
    assert _titles(page) == ["Reactie op: Woo-verzoeken", "Woo-verzoeken"]
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(site.client.get("/tags/woo.atom").content)
    assert [e.text for e in feed.findall("a:entry/a:title", ns)] == ["Reactie op: Woo-verzoeken", "Woo-verzoeken"]
    assert _titles(site.client.get("/tags/woo?lang=en").text)[0] == "Reply to: Woo-verzoeken"
    # the group feed lists topics only, each under its own title
    group_feed = ET.fromstring(site.client.get("/groups/open-overheid.atom").content)
    assert [e.text for e in group_feed.findall("a:entry/a:title", ns)] == ["Woo-verzoeken"]


def test_group_feed_skips_deleted_topics_and_counts_with_api(site: Site) -> None:
    anne, group = _setup(site)
    kept = post_service.start_topic(site.node, anne, group, "Blijft", "Tekst")
    gone = post_service.reply(site.node, anne, kept["id"], "Weg")
    post_service.delete(site.node, anne, gone["id"])
    assert post_store.direct_reply_counts(site.node.db, [kept["id"]]) == {}
    assert post_store.count_in_group(site.node.db, group["id"]) == 1
    assert accounts.get(site.node, "anne")["username"] == "anne"


def test_migration_recounts_drifted_counters(site: Site) -> None:
    import sqlite_utils

    from storage.migrations import m0021_finding

    anne, group = _setup(site)
    topic = _topic(site, anne, group, "Scheef", "2026-01-01T10:00:00.000Z")
    _reply(site, anne, topic, "2026-01-02T10:00:00.000Z")
    post_store.update(site.node.db, topic, {"reply_count": 7, "last_activity_at": "2030-01-01T00:00:00.000Z"})
    m0021_finding.apply(sqlite_utils.Database(site.node.db.writer))
    row = post_store.by_id(site.node.db, topic)
    assert row is not None and (row["reply_count"], row["last_activity_at"]) == (1, "2026-01-02T10:00:00.000Z")


def test_a_backfilled_old_remote_topic_is_not_the_latest_activity(site: Site) -> None:
    """A remote topic's activity is when it was written (as the recount has it), not when it reached
    us; a date in the future counts as now."""
    from federation.actors import actor_record
    from node.services.ingest import Ingest
    from storage import actors

    anne, group = _setup(site)
    _topic(site, anne, group, "Vers", "2026-11-30T10:00:00.000Z")
    doc = {"id": "https://one.example/users/bob", "type": "Person", "preferredUsername": "bob",
           "inbox": "https://one.example/users/bob/inbox"}
    actors.put(site.node.db, actor_record(doc, site.node.now()))
    runtime = site.node.runtime()
    ingest = Ingest(site.node, runtime.actors, runtime.fetcher)
    group_uri = f"http://127.0.0.1:8000/groups/{group['slug']}"
    public = "https://www.w3.org/ns/activitystreams#Public"
    old = site.client.portal.call(ingest.post, {
        "id": "https://one.example/notes/old", "type": "Page", "name": "Uit 2020", "attributedTo": doc["id"],
        "content": "<p>Oud</p>", "published": "2020-01-01T00:00:00Z",
        "to": [public], "cc": [group_uri], "audience": group_uri})
    future = site.client.portal.call(ingest.post, {
        "id": "https://one.example/notes/later", "type": "Page", "name": "Uit de toekomst",
        "attributedTo": doc["id"], "content": "<p>Later</p>", "published": "2999-01-01T00:00:00Z",
        "to": [public], "cc": [group_uri],
        "audience": group_uri})
    assert old is not None and future is not None
    assert post_store.by_id(site.node.db, old["id"])["last_activity_at"].startswith("2020-01-01T00:00:00")
    assert post_store.by_id(site.node.db, future["id"])["last_activity_at"] <= site.node.now()
    titles = TITLES.findall(site.client.get("/groups/open-overheid").text)
    assert titles.index("Vers") < titles.index("Uit 2020")

